// miroir-ctl: drive Miroir's topology from a shell (docs/topology-changes.md).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "admin_client.hpp"
#include "status_view.hpp"

namespace {

using miroir::ctl::AdminClient;
using miroir::ctl::Reply;
using nlohmann::json;

constexpr const char* kUsage =
    "usage: miroir-ctl [--url URL] [--admin-key KEY] [--json] COMMAND\n"
    "\n"
    "  topology                              nodes, groups, epoch, instances\n"
    "  shards                                where every shard of every index lives\n"
    "  nodes add ID ADDRESS --group G [--wait]\n"
    "  nodes drain ID [--wait]               move the node's shards away, keep it\n"
    "  nodes remove ID [--wait]              also restores RF after a node died\n"
    "  groups add ID NODE=ADDRESS... [--wait]\n"
    "  groups remove ID [--wait]\n"
    "  migrations status [--watch]           progress of the change in progress\n"
    "  migrations pause | resume | cancel\n"
    "  verify [--index UID] [--repair]       compare replicas (anti-entropy pass) and wait\n"
    "\n"
    "URL defaults to $MIROIR_URL or http://127.0.0.1:7700; KEY to $MIROIR_ADMIN_KEY.\n"
    "--wait and --watch redraw the progress every second until the change ends.\n"
    "verify reports only unless --repair; it exits 3 when it found mismatches it did not\n"
    "repair.\n"
    "Exit status: 0 done, 1 refused or failed (the API's message is printed), 2 usage.\n";

int Usage() {
  std::fputs(kUsage, stderr);
  return 2;
}

struct Options {
  std::string url;
  std::string admin_key;
  bool json_output = false;
  bool wait = false;
  std::string group;
  std::string index;
  bool repair = false;
  std::vector<std::string> words;
};

// Prints an API error the way Meilisearch shapes it; true when `r` succeeded.
bool Check(const std::optional<Reply>& r, const std::string& error) {
  if (!r) {
    std::fprintf(stderr, "miroir-ctl: %s\n", error.c_str());
    return false;
  }
  if (r->status >= 200 && r->status < 300) return true;
  if (r->body.is_object() && r->body.contains("message")) {
    std::fprintf(stderr, "miroir-ctl: %s (%s, HTTP %d)\n",
                 r->body["message"].get<std::string>().c_str(),
                 r->body.value("code", std::string("?")).c_str(), r->status);
  } else {
    std::fprintf(stderr, "miroir-ctl: HTTP %d\n", r->status);
  }
  return false;
}

void Print(const Options& o, const json& body, const std::string& text) {
  if (o.json_output) {
    std::printf("%s\n", body.dump(2).c_str());
  } else {
    std::fputs(text.c_str(), stdout);
  }
  std::fflush(stdout);
}

// Redraws the migration's progress every second until none is in progress;
// 0 when the last one completed.
int Watch(const AdminClient& client) {
  const bool tty = ::isatty(STDOUT_FILENO) != 0;
  std::string previous;
  size_t previous_lines = 0;
  for (;;) {
    std::string error;
    auto r = client.Call("GET", "/_miroir/migrations", std::nullopt, &error);
    if (!Check(r, error)) return 1;
    const std::string text = miroir::ctl::RenderMigration(r->body);
    if (text != previous) {
      if (tty && previous_lines > 0) {
        // Move up over the previous block and clear it.
        for (size_t i = 0; i < previous_lines; ++i) std::fputs("\x1b[1A\x1b[2K", stdout);
      }
      std::fputs(text.c_str(), stdout);
      std::fflush(stdout);
      previous = text;
      previous_lines = static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
    }
    if (!r->body["migration"].is_object()) {
      const json& last = r->body["last"];
      return last.is_object() && last.value("outcome", std::string()) == "completed" ? 0 : 1;
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

int Change(const Options& o, const AdminClient& client, const std::string& method,
           const std::string& path, const std::optional<json>& body) {
  std::string error;
  auto r = client.Call(method, path, body, &error);
  if (!Check(r, error)) return 1;
  Print(o, r->body, miroir::ctl::RenderMigration(r->body));
  return o.wait ? Watch(client) : 0;
}

// Starts an anti-entropy pass and waits for its report.
int Verify(const Options& o, const AdminClient& client) {
  json body = {{"repair", o.repair}};
  if (!o.index.empty()) body["indexUid"] = o.index;
  std::string error;
  auto started = client.Call("POST", "/_miroir/verify", body, &error);
  if (!Check(started, error)) return 1;
  const json uid = started->body["uid"];
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    auto r = client.Call("GET", "/_miroir/verify", std::nullopt, &error);
    if (!Check(r, error)) return 1;
    const json& last = r->body["last"];
    if (!last.is_object() || last["uid"] != uid) continue;
    Print(o, last, miroir::ctl::RenderVerify(last));
    if (last.value("status", std::string()) != "succeeded") return 1;
    const bool unrepaired = last.value("dryRun", false) && last.value("mismatches", 0) > 0;
    return unrepaired ? 3 : 0;
  }
}

int Run(const Options& o) {
  const AdminClient client(o.url, o.admin_key);
  const auto& w = o.words;
  auto is = [&](std::initializer_list<const char*> words) {
    if (w.size() < words.size()) return false;
    size_t i = 0;
    for (const char* word : words) {
      if (w[i++] != word) return false;
    }
    return true;
  };
  std::string error;
  if (is({"topology"}) && w.size() == 1) {
    auto r = client.Call("GET", "/_miroir/topology", std::nullopt, &error);
    if (!Check(r, error)) return 1;
    Print(o, r->body, miroir::ctl::RenderTopology(r->body));
    return 0;
  }
  if (is({"shards"}) && w.size() == 1) {
    auto r = client.Call("GET", "/_miroir/shards", std::nullopt, &error);
    if (!Check(r, error)) return 1;
    std::printf("%s\n", r->body.dump(2).c_str());
    return 0;
  }
  if (is({"nodes", "add"}) && w.size() == 4) {
    if (o.group.empty()) return Usage();
    return Change(o, client, "POST", "/_miroir/nodes",
                  json{{"id", w[2]}, {"address", w[3]}, {"group", o.group}});
  }
  if (is({"nodes", "drain"}) && w.size() == 3) {
    return Change(o, client, "POST", "/_miroir/nodes/" + w[2] + "/drain", std::nullopt);
  }
  if (is({"nodes", "remove"}) && w.size() == 3) {
    return Change(o, client, "DELETE", "/_miroir/nodes/" + w[2], std::nullopt);
  }
  if (is({"groups", "add"}) && w.size() >= 4) {
    json nodes = json::array();
    for (size_t i = 3; i < w.size(); ++i) {
      const size_t eq = w[i].find('=');
      if (eq == std::string::npos) return Usage();
      nodes.push_back({{"id", w[i].substr(0, eq)}, {"address", w[i].substr(eq + 1)}});
    }
    return Change(o, client, "POST", "/_miroir/groups", json{{"id", w[2]}, {"nodes", nodes}});
  }
  if (is({"groups", "remove"}) && w.size() == 3) {
    return Change(o, client, "DELETE", "/_miroir/groups/" + w[2], std::nullopt);
  }
  if (is({"migrations", "status"}) && w.size() == 2) {
    if (o.wait) return Watch(client);
    auto r = client.Call("GET", "/_miroir/migrations", std::nullopt, &error);
    if (!Check(r, error)) return 1;
    Print(o, r->body, miroir::ctl::RenderMigration(r->body));
    return 0;
  }
  if (is({"verify"}) && w.size() == 1) return Verify(o, client);
  if (w.size() == 2 && w[0] == "migrations" &&
      (w[1] == "pause" || w[1] == "resume" || w[1] == "cancel")) {
    return Change(o, client, "POST", "/_miroir/migrations/" + w[1], std::nullopt);
  }
  return Usage();
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  const char* url = std::getenv("MIROIR_URL");
  const char* key = std::getenv("MIROIR_ADMIN_KEY");
  o.url = url ? url : "http://127.0.0.1:7700";
  o.admin_key = key ? key : "";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    if (arg == "--url") {
      const char* v = value();
      if (!v) return Usage();
      o.url = v;
    } else if (arg == "--admin-key") {
      const char* v = value();
      if (!v) return Usage();
      o.admin_key = v;
    } else if (arg == "--group") {
      const char* v = value();
      if (!v) return Usage();
      o.group = v;
    } else if (arg == "--index") {
      const char* v = value();
      if (!v) return Usage();
      o.index = v;
    } else if (arg == "--repair") {
      o.repair = true;
    } else if (arg == "--json") {
      o.json_output = true;
    } else if (arg == "--wait" || arg == "--watch") {
      o.wait = true;
    } else if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else {
      o.words.push_back(arg);
    }
  }
  if (o.words.empty()) return Usage();
  return Run(o);
}
