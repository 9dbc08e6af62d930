// `ferry serve` flags (CLI11 is confined to main.cc and the *_cli.cc files).
#include <CLI/CLI.hpp>

#include "ferry/cli/command_groups.h"
#include "ferry/cli/serve_command.h"
#include "ferry/serving/serve_settings.h"

#ifndef FERRY_VERSION
#define FERRY_VERSION "dev"
#endif

namespace ferry::cli {

void AddServeCommands(CLI::App& app, int& rc) {
  static ServeArgs args;
  args.version = FERRY_VERSION;
  CLI::App* s = app.add_subcommand(
      "serve",
      "Serve models over HTTP with the Open Inference Protocol (v2): dynamic batching, "
      "admission control, hot swap, Prometheus /metrics");
  s->add_option("--model", args.models,
                "NAME=BUNDLE_DIR: serve the bundle folder as model NAME, version 1; or a registry "
                "reference NAME@ALIAS, NAME:VERSION or NAME (champion, else latest): served as "
                "model NAME with the registry's version number, following the alias as it moves "
                "(repeatable)");
  s->add_option("--registry", args.registry,
                "Model registry URI (sqlite:///PATH or postgresql://...); default $FERRY_REGISTRY, "
                "else sqlite:///$FERRY_HOME/registry.db. When a registry is configured or exists, "
                "its REST API is served under /api/v1");
  s->add_option("--pipeline", args.pipelines,
                "A pipeline file this server can start: POST /api/v1/pipelines/{name}/runs "
                "(token-protected like the other management routes) (repeatable)");
  s->add_flag("--scheduler", args.scheduler,
              "Also start the --pipeline files' scheduled runs when due (as `ferry scheduler`)");
  s->add_option("--starting-deadline", args.starting_deadline_s,
                "With --scheduler: seconds after its time a slot may still start (default 3600)")
      ->check(CLI::Range(int64_t{0}, int64_t{366} * 86400));
  s->add_option("--config", args.config,
                "ferry-serve.yaml with per-model settings (the table below)");
  s->add_option("--log-dir", args.log_dir,
                "Prediction log folder (<DIR>/<model>/ segment files); default the config's "
                "monitoring.log_dir, else $FERRY_HOME/logs");
  s->add_flag("--no-prediction-log", args.no_prediction_log,
              "Do not record served predictions (drift and the monitoring API stay on)");
  s->add_flag("--no-monitoring", args.no_monitoring,
              "Turn monitoring off: no prediction log, drift, feedback or alerts");
  s->add_option("--repository", args.repository,
                "Model repository folder: DIR/NAME/VERSION/ bundle folders (Triton's layout)");
  s->add_option("--host", args.http.host, "Address to listen on")->capture_default_str();
  s->add_option("--port", args.http.port, "Port to listen on; 0 picks a free one (printed)")
      ->capture_default_str();
  s->add_option("--token", args.token,
                "Bearer token required by the management routes (/v2/repository/*, registry "
                "writes under /api/v1); without one, ferry serve only listens on loopback")
      ->envname("FERRY_TOKEN");
  s->add_option("--io-threads", args.http.io_threads, "HTTP I/O threads")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  s->add_option("--max-body-bytes", args.http.max_body_bytes,
                "Largest request body; larger is answered 413")
      ->capture_default_str();
  s->add_option("--max-header-bytes", args.http.max_header_bytes,
                "Largest request header; larger is answered 413")
      ->capture_default_str();
  s->add_option("--max-rows", args.limits.max_rows_per_request,
                "Most rows in one infer request; more is answered 413")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 30))
      ->capture_default_str();
  s->add_option("--max-json-depth", args.limits.max_json_depth,
                "Deepest JSON nesting accepted in a request body; deeper is answered 400")
      ->check(CLI::Range(4, 1024))
      ->capture_default_str();
  s->add_option("--read-timeout-ms", args.http.read_timeout_ms,
                "A request must arrive whole within this; also the keep-alive idle timeout")
      ->check(CLI::Range(int64_t{1}, int64_t{3600000}))
      ->capture_default_str();
  s->add_option("--max-connections", args.http.max_connections,
                "Open connections past this are answered 503 and closed")
      ->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
  s->footer("Settings of --config (ferry-serve.yaml); see docs/serving.md:\n" +
            serving::ServeSettingsHelp());
  s->callback([&rc] { rc = Serve(args); });
}

}  // namespace ferry::cli
