// The status page: one self-contained HTML document (inline CSS and script,
// SVG charts drawn by the script, no external assets) that fetches
// /status.json and redraws every 10 s. It shows pushes, errors by reason
// and latency per minute over the last hour, each upstream's state, and s2s
// counts. Every drawn series is an SVG <path class="series"> with
// data-points / data-nonzero attributes, so a headless browser test can check
// what was drawn.
#pragma once

#include <string>

namespace herald::app::status {

const std::string& status_page_html();

}  // namespace herald::app::status
