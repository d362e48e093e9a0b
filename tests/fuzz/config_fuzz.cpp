// Fuzzes configuration parsing (miroir/app/config.hpp): YAML text and
// MIROIR_* environment overrides through ParseConfig.
//
// Input: the YAML text, or, when it starts with "env\n", environment lines
// NAME=value up to a line "--", then the YAML text.
//
// Invariants beyond "no crash" (yaml-cpp throws; ParseConfig must catch):
//  - an error is kInternal, starts with "config: " and is one line;
//  - an accepted config is deterministic (parsing again gives an equal
//    one), its cluster seeds a topology whenever it names groups, and its
//    warnings are one line each;
//  - durations and byte sizes: what ParseDuration accepts, FormatDuration
//    prints back to the same value.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_util.hpp"
#include "miroir/app/config.hpp"

namespace {

using namespace miroir;

void CheckOneLineError(const Error& e) {
  FUZZ_CHECK(e.code == ErrorCode::kInternal, e.ToJson());
  FUZZ_CHECK(e.message.starts_with("config: "), e.message);
  FUZZ_CHECK(e.message.find('\n') == std::string::npos, e.message);
}

void CheckScalars(std::string_view text) {
  // The first line stands for a duration or size value in the file.
  const std::string_view value = text.substr(0, std::min<size_t>(text.find('\n'), 64));
  if (auto d = app::ParseDuration(value)) {
    const std::string printed = app::FormatDuration(*d);
    auto again = app::ParseDuration(printed);
    FUZZ_CHECK(again && *again == *d, std::string(value) + " -> " + printed);
  }
  (void)app::ParseByteSize(value);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Input input(data, size);
  const std::string_view all(reinterpret_cast<const char*>(data), size);
  app::Environment env;
  std::string_view yaml = all;
  if (all.starts_with("env\n")) {
    input.Until("\n");
    const std::string_view lines = input.Until("\n--\n");
    yaml = input.Rest();
    size_t pos = 0;
    while (pos < lines.size()) {
      size_t end = lines.find('\n', pos);
      if (end == std::string_view::npos) end = lines.size();
      const std::string_view line = lines.substr(pos, end - pos);
      pos = end + 1;
      const size_t eq = line.find('=');
      if (eq == std::string_view::npos) continue;
      env[std::string(line.substr(0, eq))] = std::string(line.substr(eq + 1));
    }
  }

  CheckScalars(yaml);
  auto config = app::ParseConfig(yaml, env);
  if (!config) {
    CheckOneLineError(config.error());
    return 0;
  }
  auto again = app::ParseConfig(yaml, env);
  FUZZ_CHECK(again && *again == *config, "ParseConfig is not deterministic");
  for (const std::string& warning : app::ConfigWarnings(*config)) {
    FUZZ_CHECK(warning.find('\n') == std::string::npos, warning);
  }
  if (!config->cluster.groups.empty()) {
    auto spec = app::ToTopologySpec(config->cluster);
    FUZZ_CHECK(spec.has_value(), spec.error().message);
  }
  return 0;
}
