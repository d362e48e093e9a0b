// miroir: the sharding proxy daemon. See README.md and config/miroir.example.yaml.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>

#include "miroir/app/application.hpp"
#include "miroir/app/config.hpp"
#include "miroir/log/log.hpp"

namespace {

constexpr const char* kUsage =
    "usage: miroir [--config FILE] [--check-config]\n"
    "  --config FILE    YAML configuration (default: $MIROIR_CONFIG or ./miroir.yaml)\n"
    "  --check-config   validate the configuration and exit\n"
    "Every scalar key can be overridden with MIROIR_<SECTION>_<KEY>; see\n"
    "config/miroir.example.yaml.\n";

}  // namespace

int main(int argc, char** argv) {
  std::string path = "miroir.yaml";
  if (const char* env = std::getenv("MIROIR_CONFIG")) path = env;
  bool check_only = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--config" && i + 1 < argc) {
      path = argv[++i];
    } else if (arg.rfind("--config=", 0) == 0) {
      path = arg.substr(9);
    } else if (arg == "--check-config") {
      check_only = true;
    } else if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else {
      std::fprintf(stderr, "miroir: unknown argument %s\n%s", arg.c_str(), kUsage);
      return 2;
    }
  }

  auto config = miroir::app::LoadConfig(path, miroir::app::ProcessEnvironment());
  if (!config) {
    std::fprintf(stderr, "miroir: %s\n", config.error().message.c_str());
    return 2;
  }
  if (check_only) {
    for (const auto& warning : miroir::app::ConfigWarnings(*config)) {
      std::fprintf(stderr, "miroir: warning: %s\n", warning.c_str());
    }
    std::printf("miroir: %s is valid\n", path.c_str());
    return 0;
  }
  namespace log = miroir::log;
  log::Configure(config->log.level, config->log.format);
  for (const auto& warning : miroir::app::ConfigWarnings(*config)) {
    log::Warn("configuration").Str("warning", warning);
  }

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto app = miroir::app::Application::Start(*config);
  if (!app) {
    log::Error("start-up failed").Str("error", app.error().message);
    return 1;
  }
  log::Info("listening")
      .Str("version", MIROIR_VERSION)
      .Str("address", config->listen.address)
      .Uint("port", (*app)->port())
      .Uint("metrics_port", config->listen.metrics_port)
      .Str("task_store", miroir::app::ToString(config->task_store.backend));
  int received = 0;
  sigwait(&signals, &received);
  log::Info("shutting down").Str("signal", strsignal(received));
  (*app)->Stop();
  log::Info("stopped");
  return 0;
}
