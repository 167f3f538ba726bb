"""v1 registration over HTTP (/push_appserver/v1/register) end to end with
real Prosody: the scenario of v1_adhoc_test.py with the HTTP endpoint instead
of the ad-hoc command.

Usage: v1_http_test.py HERALD_BINARY APNS_SIM_BINARY
"""
import sys

import v1_adhoc_test

if __name__ == "__main__":
    sys.argv = sys.argv[:3] + ["--http"]
    v1_adhoc_test.main()
