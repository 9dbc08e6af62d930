#include "ferry/cli/serve_command.h"

#include <arpa/inet.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <thread>

#include "ferry/cli/commands.h"
#include "ferry/cli/serve_pipelines.h"
#include "ferry/monitor/live/alerting.h"
#include "ferry/monitor/live/model_monitor.h"
#include "ferry/monitor/live/monitor_routes.h"
#include "ferry/protocol/router.h"
#include "ferry/registry/http/registry_routes.h"
#include "ferry/registry/registry.h"
#include "ferry/registry/serving/alias_follower.h"
#include "ferry/serving/model_server.h"
#include "ferry/serving/serve_settings.h"

namespace ferry::cli {
namespace {

int Fail(const Status& s) {
  std::cerr << "error: " << s.message() << "\n";
  return kExitFailure;
}

// 127.0.0.0/8, ::1, ::ffff:127.x.x.x and "localhost".
bool IsLoopback(const std::string& host) {
  if (host == "localhost") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    return IN6_IS_ADDR_LOOPBACK(&v6) || (IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127);
  }
  return false;
}

// The --model values split: bundle folders (NAME=DIR) and registry references.
struct ModelArgs {
  std::vector<serving::ModelSource> folders;
  std::vector<registry::ModelRef> references;
};

Result<ModelArgs> ParseModelArgs(const std::vector<std::string>& models) {
  ModelArgs out;
  for (const std::string& m : models) {
    if (registry::IsRegistryReferenceArg(m)) {
      auto ref = registry::ParseReference(m);
      if (!ref.ok()) {
        return InvalidArgument(
            "--model expects NAME=BUNDLE_DIR or a registry reference "
            "(NAME@ALIAS, NAME:VERSION, NAME): " +
            ref.status().message());
      }
      out.references.push_back(std::move(*ref));
    } else {
      FERRY_ASSIGN_OR_RETURN(serving::ModelSource source, serving::ParseModelSource(m));
      out.folders.push_back(std::move(source));
    }
  }
  return out;
}

Result<serving::ServerOptions> BuildOptions(const ServeArgs& args, const ModelArgs& models) {
  serving::ServerOptions options;
  if (!args.config.empty()) {
    FERRY_RETURN_IF_ERROR(serving::LoadServeConfig(args.config, &options));
  }
  options.models = models.folders;
  if (!args.repository.empty()) options.repository = args.repository;
  options.allow_no_models = !args.pipelines.empty();
  if (options.models.empty() && models.references.empty() && options.repository.empty() &&
      args.pipelines.empty()) {
    return InvalidArgument(
        "nothing to serve: give --model NAME=BUNDLE_DIR, --model NAME@ALIAS (a registry "
        "reference), --repository DIR or --pipeline FILE");
  }
  return options;
}

Result<std::shared_ptr<monitor::Monitor>> MakeMonitor(
    const ServeArgs& args, const registry::RegistryOptions& reg_options,
    std::shared_ptr<monitor::MetricsRegistry> metrics) {
  monitor::MonitorOptions options;
  if (!args.config.empty()) {
    FERRY_ASSIGN_OR_RETURN(options, monitor::LoadMonitorOptions(args.config));
  }
  if (args.no_prediction_log) options.prediction_log = false;
  std::filesystem::path root = !args.log_dir.empty()      ? std::filesystem::path(args.log_dir)
                               : !options.log_dir.empty() ? options.log_dir
                                                          : reg_options.home / "logs";
  return std::make_shared<monitor::Monitor>(std::move(options), std::move(root),
                                            std::move(metrics));
}

// The config's alert rules (null when it has none). A pipeline action needs
// a --pipeline file of that name.
Result<std::shared_ptr<alerts::AlertEngine>> MakeAlertEngine(const std::string& config,
                                                             ServePipelines* pipelines) {
  FERRY_ASSIGN_OR_RETURN(std::vector<alerts::AlertRule> rules, monitor::LoadAlertRules(config));
  if (rules.empty()) return std::shared_ptr<alerts::AlertEngine>();
  for (const alerts::AlertRule& rule : rules) {
    for (const alerts::AlertAction& action : rule.actions) {
      if (action.type == alerts::AlertAction::Type::kPipeline &&
          (pipelines == nullptr || !pipelines->Has(action.pipeline.name))) {
        return InvalidArgument(config + ": alert '" + rule.name + "' starts pipeline '" +
                               action.pipeline.name +
                               "' but no --pipeline file given to ferry serve defines it");
      }
    }
  }
  alerts::AlertEngineOptions options;
  options.callbacks.log = [](const std::string& line) {
    std::cerr << "ferry serve: " << line << std::endl;
  };
  if (pipelines != nullptr) {
    options.callbacks.trigger_pipeline = [pipelines](const alerts::PipelineAction& action,
                                                     const alerts::AlertFiring&) {
      return pipelines->Trigger(action.name, action.params);
    };
  }
  FERRY_ASSIGN_OR_RETURN(std::unique_ptr<alerts::AlertEngine> engine,
                         alerts::AlertEngine::Create(std::move(rules), std::move(options)));
  return std::shared_ptr<alerts::AlertEngine>(std::move(engine));
}

}  // namespace

int Serve(const ServeArgs& args) {
  // Signals are taken by sigwait in this thread: block them before any
  // other thread starts so that every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto models = ParseModelArgs(args.models);
  if (!models.ok()) return Fail(models.status());
  auto options = BuildOptions(args, *models);
  if (!options.ok()) return Fail(options.status());
  if (Status s = args.http.Validate(); !s.ok()) return Fail(s);
  // One rule for every management route (/v2/repository/*, registry writes):
  // with a token they need it; without one they are open on loopback only.
  if (args.token.empty() && !IsLoopback(args.http.host)) {
    return Fail(FailedPrecondition(
        "refusing to listen on " + args.http.host +
        " without a token: the management routes (/v2/repository/*, registry writes and "
        "pipeline triggers under /api/v1) would be open to the network; give --token (or "
        "FERRY_TOKEN), or listen on a "
        "loopback address such as 127.0.0.1"));
  }

  // The registry: the same resolution as `ferry models` (flag, FERRY_REGISTRY,
  // FERRY_HOME); opened when configured or when a reference needs it.
  std::unique_ptr<registry::Registry> reg;
  const registry::RegistryOptions reg_options = registry::RegistryOptionsFromEnv(args.registry);
  if (!models->references.empty() || registry::RegistryConfigured(reg_options)) {
    auto opened = registry::Registry::Open(reg_options);
    if (!opened.ok()) return Fail(opened.status().WithContext("opening the model registry"));
    reg = std::move(*opened);
  }
  std::vector<registry::AliasFollower::Followed> followed;
  for (const registry::ModelRef& ref : models->references) {
    auto source = registry::ResolveModelSource(*reg, ref);
    if (!source.ok()) return Fail(source.status().WithContext("--model " + ref.ToString()));
    followed.push_back({ref, source->version});
    options->models.push_back(std::move(*source));
  }

  auto metrics = std::make_shared<monitor::MetricsRegistry>();
  // Declared before the core: the versions' observers point into it.
  auto monitor = MakeMonitor(args, reg_options, metrics);
  if (!monitor.ok()) return Fail(monitor.status());
  auto core = serving::ModelServer::Create(*options, metrics,
                                           args.no_monitoring ? nullptr : monitor->get());
  if (!core.ok()) return Fail(core.status());

  // Model loads and registry writes run on their own threads; `loads`
  // counts them so shutdown waits for them before the core goes away.
  auto loads = std::make_shared<std::atomic<int>>(0);
  auto run_blocking = [loads](std::function<void()> work) {
    loads->fetch_add(1);
    std::thread([loads, work = std::move(work)] {
      work();
      loads->fetch_sub(1);
    }).detach();
  };
  protocol::RouterOptions router_options;
  router_options.server_version = args.version;
  router_options.limits = args.limits;
  router_options.management_token = args.token;
  router_options.run_blocking = run_blocking;
  protocol::Router router(**core, router_options, metrics);

  monitor::MountMonitorRoutes(router, *monitor, run_blocking);

  std::unique_ptr<ServePipelines> pipelines;
  if (!args.pipelines.empty() || args.scheduler) {
    auto created = ServePipelines::Create(
        {args.pipelines, args.scheduler, args.starting_deadline_s, args.registry}, router);
    if (!created.ok()) return Fail(created.status());
    pipelines = std::move(*created);
  }

  // Alert rules of the config, evaluated on every closed monitoring window.
  std::shared_ptr<alerts::AlertEngine> alert_engine;
  if (!args.config.empty()) {
    auto engine = MakeAlertEngine(args.config, pipelines.get());
    if (!engine.ok()) return Fail(engine.status());
    alert_engine = std::move(*engine);
  }
  if (alert_engine) {
    monitor::MountAlertRoutes(router, alert_engine);
    (*monitor)->OnWindowClosed([alert_engine](const monitor::ClosedWindow& closed) {
      (void)alert_engine->Evaluate(monitor::SummarizeWindow(closed));
    });
  }

  std::shared_ptr<registry::RegistryRoutes> routes;
  if (reg) {
    // The router checks the token of management routes (the one rule above),
    // so the handler itself lets writes through.
    registry::RegistryRoutesOptions routes_options;
    routes_options.allow_writes_without_token = true;
    routes = std::make_shared<registry::RegistryRoutes>(*reg, routes_options);
    router.AddRoute("GET", "/api/v1/",
                    [routes](protocol::HttpRequest& request, protocol::Responder done) {
                      routes->Handle(request, done);
                    });
    for (const char* method : {"POST", "PUT", "DELETE"}) {
      router.AddRoute(
          method, "/api/v1/",
          [routes, run_blocking](protocol::HttpRequest& request, protocol::Responder done) {
            run_blocking([routes, request = std::move(request), done = std::move(done)]() mutable {
              routes->Handle(request, done);
            });
          },
          /*management=*/true);
    }
  }

  registry::AliasFollowerOptions follow_options;
  follow_options.interval = std::chrono::milliseconds(options->registry_poll_interval_ms);
  follow_options.log = [](const std::string& line) {
    std::cerr << "ferry serve: " << line << std::endl;
  };
  std::unique_ptr<registry::AliasFollower> follower;
  if (!followed.empty()) {
    follower = std::make_unique<registry::AliasFollower>(*reg, **core, std::move(followed),
                                                         follow_options);
  }

  auto server = protocol::HttpServer::Start(args.http, router);
  if (!server.ok()) return Fail(server.status());
  if (follower) follower->Start();
  (*monitor)->Start();
  if (pipelines) {
    if (Status s = pipelines->Start(); !s.ok()) return Fail(s.WithContext("--scheduler"));
  }

  std::cout << "ferry serve: listening on http://" << args.http.host << ":" << (*server)->port()
            << std::endl;

  int signal = 0;
  sigwait(&signals, &signal);
  std::cerr << "ferry serve: " << (signal == SIGTERM ? "SIGTERM" : "SIGINT") << ": shutting down"
            << std::endl;

  const auto timeout = std::chrono::milliseconds(options->shutdown_timeout_ms);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (follower) follower->Stop();    // no swap starts after this
  if (pipelines) pipelines->Stop();  // runs already started go on
  (*server)->StopAccepting();
  const bool drained = (*server)->WaitIdle(timeout);
  while (loads->load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // Answers whatever is still queued (kUnavailable) and stops the workers.
  (*core)->Shutdown(std::chrono::duration_cast<std::chrono::milliseconds>(std::max(
      deadline - std::chrono::steady_clock::now(), std::chrono::steady_clock::duration(0))));
  (*server)->WaitIdle(std::chrono::milliseconds(500));
  (*server)->Stop();
  (*monitor)->Stop();
  if (alert_engine) alert_engine->WaitForActions();  // before the pipelines go
  if (Status s = (*monitor)->FlushLogs(); !s.ok()) {
    std::cerr << "ferry serve: prediction log: " << s.message() << "\n";
  }
  if (!drained) std::cerr << "ferry serve: shutdown timeout passed with requests in flight\n";
  std::cerr << "ferry serve: stopped" << std::endl;
  return kExitOk;
}

}  // namespace ferry::cli
