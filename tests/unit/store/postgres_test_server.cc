#include "postgres_test_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>
#include <csignal>
#include <random>

namespace herald::store::testing {

namespace {

bool port_free(const std::string& ip, int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
  bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

std::string random_loopback() {
  std::random_device rd;
  std::uniform_int_distribution<int> a(1, 254), b(0, 255), c(2, 254);
  for (int i = 0; i < 200; ++i) {
    std::string ip = "127." + std::to_string(a(rd)) + "." + std::to_string(b(rd)) + "." +
                     std::to_string(c(rd));
    if (port_free(ip, 5432)) return ip;
  }
  return "";
}

}  // namespace

int PostgresTestServer::pid() const {
  if (!running_) return 0;
  std::ifstream in(dir_ + "/data/postmaster.pid");
  int pid = 0;
  in >> pid;
  return pid;
}

namespace {

// The postmaster and its children (backends, background workers).
std::vector<int> process_tree(int root) {
  std::vector<int> out{root};
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    std::getline(stat, line);
    auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    char state;
    int ppid = 0;
    rest >> state >> ppid;
    if (ppid == root) out.push_back(std::stoi(name));
  }
  return out;
}

}  // namespace

void PostgresTestServer::freeze() {
  if (int p = pid()) for (int q : process_tree(p)) ::kill(q, SIGSTOP);
}

void PostgresTestServer::thaw() {
  if (int p = pid()) for (int q : process_tree(p)) ::kill(q, SIGCONT);
}

bool PostgresTestServer::required() {
  const char* v = std::getenv("HERALD_REQUIRE_POSTGRES");
  return v && std::string(v) == "1";
}

PostgresTestServer::PostgresTestServer() {
  if (!std::filesystem::exists(bin_ + "/initdb") || !std::filesystem::exists(bin_ + "/pg_ctl")) {
    why_ = "PostgreSQL 15 server binaries not found in " + bin_ +
           " (Debian package postgresql; scripts/install-deps.sh installs it)";
    binaries_missing_ = true;
    return;
  }
  std::string tmpl = (std::filesystem::temp_directory_path() / "herald-pg-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) {
    why_ = "mkdtemp failed";
    return;
  }
  dir_ = tmpl;
  if (geteuid() == 0) {
    passwd* pw = getpwnam("postgres");
    if (!pw) {
      why_ = "running as root and there is no postgres user to run PostgreSQL as";
      return;
    }
    if (chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      why_ = "cannot chown the test directory to postgres";
      return;
    }
    as_user_ = "runuser -u postgres -- ";
  }
  ip_ = random_loopback();
  if (ip_.empty()) {
    why_ = "no free loopback address with port 5432";
    return;
  }
  if (!run(bin_ + "/initdb -D " + dir_ + "/data -U herald -A trust -N -E UTF8 --no-instructions")) {
    why_ = "initdb failed (see " + dir_ + "/cmd.log)";
    return;
  }
  if (!start()) why_ = "PostgreSQL did not start (see " + dir_ + "/server.log)";
}

PostgresTestServer::~PostgresTestServer() {
  if (running_) stop();
  if (!dir_.empty() && (why_.empty() || running_)) std::filesystem::remove_all(dir_);
}

bool PostgresTestServer::run(const std::string& command) {
  std::string full = as_user_ + command + " >>" + dir_ + "/cmd.log 2>&1";
  return std::system(full.c_str()) == 0;
}

bool PostgresTestServer::start() {
  running_ = run(bin_ + "/pg_ctl -D " + dir_ + "/data -l " + dir_ + "/server.log -w -t 60 -o \"-h " +
                 ip_ + " -p 5432 -k " + dir_ +
                 " -F -c full_page_writes=off -c synchronous_commit=off\" start");
  return running_;
}

bool PostgresTestServer::stop() {
  bool ok = run(bin_ + "/pg_ctl -D " + dir_ + "/data -m fast -w -t 60 stop");
  running_ = false;
  return ok;
}

std::string PostgresTestServer::conninfo() const {
  return "host=" + ip_ + " port=5432 user=herald dbname=postgres";
}

}  // namespace herald::store::testing
