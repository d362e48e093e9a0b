// miroir: the sharding proxy daemon. See README.md and config/miroir.example.yaml.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>

#include "miroir/app/application.hpp"
#include "miroir/app/config.hpp"

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
  for (const auto& warning : miroir::app::ConfigWarnings(*config)) {
    std::fprintf(stderr, "miroir: warning: %s\n", warning.c_str());
  }
  if (check_only) {
    std::printf("miroir: %s is valid\n", path.c_str());
    return 0;
  }

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto app = miroir::app::Application::Start(*config);
  if (!app) {
    std::fprintf(stderr, "miroir: %s\n", app.error().message.c_str());
    return 1;
  }
  std::printf("miroir listening on http://%s:%u\n", config->listen.address.c_str(),
              (*app)->port());
  std::fflush(stdout);
  int received = 0;
  sigwait(&signals, &received);
  std::printf("miroir: shutting down\n");
  (*app)->Stop();
  return 0;
}
