// miroir-testnode: an in-memory, Meilisearch-compatible node for Miroir's
// tests, benchmarks and local demo. See tools/testnode/README.md.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

#include <boost/asio/co_spawn.hpp>

#include "miroir/http/server.hpp"
#include "node.hpp"
#include "routes.hpp"

namespace {

constexpr const char* kUsage =
    "usage: miroir-testnode [--http-addr HOST:PORT] [--master-key KEY] [--db-path DIR]\n"
    "                       [--task-delay-ms N] [--http-payload-size-limit BYTES]\n"
    "                       [--threads N]\n"
    "Flags mirror meilisearch's where they exist; MEILI_HTTP_ADDR, MEILI_MASTER_KEY and\n"
    "MEILI_DB_PATH are read as defaults.\n";

struct Flags {
  std::string http_addr = "127.0.0.1:7700";
  std::string master_key;
  std::string db_path;
  long task_delay_ms = 0;
  size_t payload_limit = 100 * 1024 * 1024;
  unsigned threads = 1;
};

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "miroir-testnode: %s\n%s", message.c_str(), kUsage);
  std::exit(2);
}

Flags ParseFlags(int argc, char** argv) {
  Flags f;
  if (const char* v = std::getenv("MEILI_HTTP_ADDR")) f.http_addr = v;
  if (const char* v = std::getenv("MEILI_MASTER_KEY")) f.master_key = v;
  if (const char* v = std::getenv("MEILI_DB_PATH")) f.db_path = v;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    if (auto eq = arg.find('='); eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    } else if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else if (arg == "--no-analytics") {
      continue;  // accepted for command-line compatibility with meilisearch
    } else {
      if (i + 1 >= argc) Die("missing value for " + arg);
      value = argv[++i];
    }
    try {
      if (arg == "--http-addr") f.http_addr = value;
      else if (arg == "--master-key") f.master_key = value;
      else if (arg == "--db-path") f.db_path = value;
      else if (arg == "--task-delay-ms") f.task_delay_ms = std::stol(value);
      else if (arg == "--http-payload-size-limit") f.payload_limit = std::stoull(value);
      else if (arg == "--threads") f.threads = static_cast<unsigned>(std::stoul(value));
      else if (arg == "--env") continue;
      else Die("unknown flag " + arg);
    } catch (const std::exception&) {
      Die("invalid value for " + arg + ": " + value);
    }
  }
  if (f.task_delay_ms < 0) Die("--task-delay-ms must be >= 0");
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags = ParseFlags(argc, argv);
  auto colon = flags.http_addr.rfind(':');
  if (colon == std::string::npos) Die("--http-addr must be HOST:PORT");

  // Block the stop signals in every thread; the main thread waits for them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  miroir::testnode::NodeOptions options;
  options.master_key = flags.master_key;
  options.db_path = flags.db_path;
  options.task_delay = std::chrono::milliseconds(flags.task_delay_ms);
  auto node = miroir::testnode::Node::Create(options);
  if (!node) Die(node.error().message);
  miroir::testnode::Routes routes(**node);

  miroir::http::ServerOptions server_options;
  server_options.address = flags.http_addr.substr(0, colon);
  try {
    server_options.port = static_cast<uint16_t>(std::stoul(flags.http_addr.substr(colon + 1)));
  } catch (const std::exception&) {
    Die("invalid port in --http-addr " + flags.http_addr);
  }
  server_options.threads = flags.threads;
  server_options.body_limit = flags.payload_limit;
  miroir::http::Server server(server_options, [&routes](miroir::http::Request request) {
    return routes.Handle(std::move(request));
  });
  if (auto started = server.Start(); !started) Die(started.error().message);
  std::printf("miroir-testnode listening on http://%s:%u\n", server_options.address.c_str(),
              server.port());
  std::fflush(stdout);

  int received = 0;
  sigwait(&signals, &received);
  server.Stop();
  (*node)->Stop();
  return 0;
}
