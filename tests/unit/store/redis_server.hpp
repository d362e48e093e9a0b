// A throw-away redis-server for tests: started on a free loopback port in a
// temporary directory with persistence off, stopped (and the directory
// removed) when the object dies. The server also dies with the test process
// (PR_SET_PDEATHSIG), so a crashed test leaves no redis-server behind.
//
// Not thread-safe; one owner.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

namespace miroir::store::testing {

class RedisServer {
 public:
  // Whether redis-server is on PATH (tests fail with a pointer to setup.sh when not).
  static bool Available() { return std::system("command -v redis-server >/dev/null 2>&1") == 0; }

  RedisServer() {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "miroir-redis-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) != nullptr) dir_ = tmpl;
    port_ = FreePort();
  }
  ~RedisServer() {
    Stop();
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  uint16_t port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  bool running() const { return pid_ > 0; }

  // Starts the server on port() and waits until it accepts connections.
  // Extra arguments (e.g. {"--requirepass", "x"}) are appended.
  bool Start(std::vector<std::string> extra = {}) {
    if (pid_ > 0) return true;
    std::vector<std::string> args{"redis-server", "--port",       std::to_string(port_),
                                  "--bind",       "127.0.0.1",    "--save",
                                  "",             "--appendonly", "no",
                                  "--dir",        dir_,           "--logfile",
                                  dir_ + "/redis.log"};
    args.insert(args.end(), extra.begin(), extra.end());
    pid_t pid = ::fork();
    if (pid < 0) return false;
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execvp("redis-server", argv.data());
      ::_exit(127);
    }
    pid_ = pid;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      if (Accepts()) return true;
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    Stop();
    return false;
  }

  // SIGKILL: the server vanishes without a word, as when its host dies.
  void Kill() { Signal(SIGKILL, /*wait=*/true); }
  // Graceful stop.
  void Stop() { Signal(SIGTERM, /*wait=*/true); }
  // Freeze and thaw: a server that accepts connections but never answers.
  void Pause() {
    if (pid_ > 0) ::kill(pid_, SIGSTOP);
  }
  void Resume() {
    if (pid_ > 0) ::kill(pid_, SIGCONT);
  }

 private:
  void Signal(int sig, bool wait) {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGCONT);
    ::kill(pid_, sig);
    if (wait) {
      int status = 0;
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
    }
  }

  static uint16_t FreePort() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof(addr);
    uint16_t port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port = ntohs(addr.sin_port);
    }
    ::close(fd);
    return port;
  }

  bool Accepts() const {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port_);
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    ::close(fd);
    return ok;
  }

  std::string dir_;
  uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace miroir::store::testing
