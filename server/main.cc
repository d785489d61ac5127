// sluice-server [config-file] [--port N] [--bind ADDR] [--dir PATH] [--config FILE]
//               [--loglevel LEVEL] [--<any-config-parameter> value ...]
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "server/core/config.h"
#include "server/core/log.h"
#include "server/core/server.h"
#include "server/core/version.h"
#include "server/persistence/aof.h"

namespace {

void Usage() {
  fprintf(stderr,
          "Usage: sluice-server [config-file] [--port N] [--bind ADDR] [--dir PATH]\n"
          "                     [--config FILE] [--loglevel debug|verbose|notice|warning]\n"
          "                     [--<config-parameter> value ...]\n");
}

bool MakeDirs(const std::string& path) {
  std::string partial;
  for (size_t i = 0; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/') {
      if (!partial.empty() && mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST) return false;
    }
    if (i < path.size()) partial.push_back(path[i]);
  }
  return true;
}

sluice::LogLevel ParseLevel(const std::string& name) {
  if (name == "debug") return sluice::LogLevel::kDebug;
  if (name == "verbose") return sluice::LogLevel::kVerbose;
  if (name == "warning") return sluice::LogLevel::kWarning;
  if (name == "nothing") return sluice::LogLevel::kNothing;
  return sluice::LogLevel::kNotice;
}

}  // namespace

int main(int argc, char** argv) {
  sluice::Config config;
  std::string error;
  std::vector<std::string> args(argv + 1, argv + argc);
  size_t i = 0;
  if (!args.empty() && !args[0].starts_with("--")) {
    if (!config.LoadFile(args[0], &error)) {
      fprintf(stderr, "Fatal error in config: %s\n", error.c_str());
      return 1;
    }
    i = 1;
  }
  for (; i < args.size(); ++i) {
    const std::string& flag = args[i];
    if (flag == "--help" || flag == "-h") {
      Usage();
      return 0;
    }
    if (flag == "--version" || flag == "-v") {
      printf("sluice-server v=%s (Redis protocol %s)\n", sluice::kSluiceVersion,
             sluice::kRedisCompatVersion);
      return 0;
    }
    if (!flag.starts_with("--")) {
      fprintf(stderr, "Unexpected argument '%s'\n", flag.c_str());
      Usage();
      return 1;
    }
    std::string name = flag.substr(2);
    std::vector<std::string> words;
    while (i + 1 < args.size() && !args[i + 1].starts_with("--")) words.push_back(args[++i]);
    if (name == "config") {
      if (words.size() != 1 || !config.LoadFile(words[0], &error)) {
        fprintf(stderr, "Fatal error in config: %s\n",
                error.empty() ? "--config takes one file" : error.c_str());
        return 1;
      }
      continue;
    }
    if (words.empty()) words.emplace_back();
    if (!config.Exists(name)) {
      fprintf(stderr, "Unknown option '--%s'\n", name.c_str());
      Usage();
      return 1;
    }
    if (!config.Set(name, words, true, &error)) {
      fprintf(stderr, "Invalid value for '--%s': %s\n", name.c_str(), error.c_str());
      return 1;
    }
  }

  sluice::SetLogLevel(ParseLevel(config.Get("loglevel")));
  sluice::SetLogFile(config.Get("logfile").c_str());
  std::string dir = config.Get("dir");
  if (!MakeDirs(dir) || chdir(dir.c_str()) != 0) {
    fprintf(stderr, "Can't chdir to '%s': %s\n", dir.c_str(), strerror(errno));
    return 1;
  }
  signal(SIGPIPE, SIG_IGN);

  sluice::Server server(&config);
  // The append-only log loads from the event loop once it runs; until then commands that need
  // the data are answered -LOADING.
  std::string aof_error = server.aof().Start(/*in_slices=*/true);
  if (!aof_error.empty()) {
    LogWarning("%s", aof_error.c_str());
    return 1;
  }
  std::string listen_error = server.Listen();
  if (!listen_error.empty()) {
    LogWarning("%s", listen_error.c_str());
    return 1;
  }
  LogNotice("Sluice %s started, Redis protocol %s, port %d", sluice::kSluiceVersion,
            sluice::kRedisCompatVersion, server.port());
  LogNotice("Ready to accept connections tcp");
  server.Run();
  if (server.aof().failed()) {
    LogWarning("Sluice exits: the dataset could not be loaded or persisted.");
    return 1;
  }
  LogNotice("Sluice is now ready to exit, bye bye...");
  return 0;
}
