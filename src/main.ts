/**
 * Composition root: the only module that reads argv and the environment, builds the concrete
 * adapters and calls process.exit. Everything below receives what it needs.
 */
import { closeSync, openSync, writeSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { type CliOptions, parseCli, USAGE } from "./cli/args.ts";
import { changeLines, detectionText, failureLine, statusText } from "./cli/output.ts";
import { type LoadedConfig, type LoadOptions, loadConfig } from "./config/load.ts";
import type { Config, ProviderConfig } from "./config/schema.ts";
import { STARTER_CONFIG } from "./config/starter.ts";
import { parseDuration } from "./core/duration.ts";
import type { IpFamily } from "./core/ip.ts";
import { normalizeName, recordTypeOf } from "./core/records.ts";
import type { Schedule } from "./core/schedule.ts";
import { redact, redactDeep, Secret } from "./core/secret.ts";
import { emptyState, recordKey } from "./core/state.ts";
import { detectFamily } from "./detect/detect.ts";
import { Daemon, type DaemonRuntime } from "./engine/daemon.ts";
import type { RoundObserver } from "./engine/observer.ts";
import { runRound } from "./engine/round.ts";
import { ConfigError, errorMessage, LockHeldError, UsageError } from "./errors.ts";
import { createLogger, type Logger, type LogLevel } from "./platform/log.ts";
import { checkSecretShape, readSecretFile, warnIfExposed } from "./platform/secrets.ts";
import { lockStateDir, saveStateFile } from "./platform/state-dir.ts";
import { loadStateFile, readStateFile } from "./platform/state-file.ts";
import { createCheckedProvider, methodOf } from "./providers/capabilities.ts";
import type { DnsProvider, ProviderContext } from "./providers/provider.ts";
import type { MetricsObserver } from "./status/metrics.ts";
import type { StatusServer } from "./status/server.ts";

declare const HOMING_VERSION: string;

const EXIT = { ok: 0, failed: 1, config: 2, locked: 75 } as const;

function out(text: string): void {
  if (text) process.stdout.write(text.endsWith("\n") ? text : `${text}\n`);
}

function logLevelFor(cli: CliOptions, configured: LogLevel): LogLevel {
  if (cli.verbosity < 0) return "error";
  if (cli.verbosity >= 2) return "debug";
  if (cli.verbosity === 1) return configured === "debug" ? "debug" : "info";
  return configured;
}

function defaultStateDir(env: NodeJS.ProcessEnv): string {
  const systemd = env.STATE_DIRECTORY?.split(":")[0];
  if (systemd) return systemd;
  if (process.getuid?.() === 0) return "/var/lib/homing";
  return join(env.XDG_STATE_HOME || join(homedir(), ".local", "state"), "homing");
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolvePromise();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

interface Session {
  cli: CliOptions;
  loaded: LoadedConfig;
  config: Config;
  logger: Logger;
  stateDir: string;
}

/** Resolves `<key>` of a provider: inline value, `<key>_file`, or the environment (via the config). */
/**
 * Resolves the secret `<key>` of a config table (`providers.dh`, `status`): the inline value (from
 * the file or the environment), or `<key>_file`. Undefined when neither is set.
 */
async function optionalSecret(
  session: Session,
  path: readonly string[],
  table: Record<string, unknown>,
  key: string,
): Promise<Secret | undefined> {
  const label = path.join(".");
  const envName = `HOMING_${[...path, key].join("_").toUpperCase().replace(/-/g, "_")}`;
  const inline = table[key];
  const file = table[`${key}_file`];
  let secret: Secret | undefined;
  if (typeof file === "string") secret = await readSecretFile(file, `${label}.${key}_file`, session.logger);
  else if (typeof inline === "string") {
    const fromEnv = process.env[envName] === inline;
    checkSecretShape(inline, `${label}.${key}`);
    if (!fromEnv && session.loaded.file)
      await warnIfExposed(session.loaded.file, "config file (it holds a secret)", session.logger);
    secret = new Secret(inline, fromEnv ? `environment variable ${envName}` : `${session.loaded.file}`);
  }
  if (secret) session.logger.addSecret(secret.reveal());
  return secret;
}

async function providerSecret(
  session: Session,
  id: string,
  provider: ProviderConfig,
  key: string,
): Promise<Secret> {
  const table = provider as unknown as Record<string, unknown>;
  const secret = await optionalSecret(session, ["providers", id], table, key);
  if (secret) return secret;
  const envName = `HOMING_PROVIDERS_${id.toUpperCase().replace(/-/g, "_")}_${key.toUpperCase()}`;
  throw new ConfigError([
    `providers.${id}: no ${key}: put it in a file only you can read and set ${key}_file = "/etc/homing/${id}.key", or set the environment variable ${envName}`,
  ]);
}

/** Builds every provider the records use, reading their secrets now so a missing one is a config error. */
async function buildProviders(session: Session): Promise<Map<string, DnsProvider>> {
  const providers = new Map<string, DnsProvider>();
  const used = new Set(session.config.records.map((record) => record.provider));
  for (const id of used) {
    const config = session.config.providers[id] as ProviderConfig;
    const context: ProviderContext = {
      logger: session.logger,
      sleep,
      random: Math.random,
      secret: (key) => providerSecret(session, id, config, key),
    };
    providers.set(id, await createCheckedProvider(id, config, context));
  }
  return providers;
}

function familiesOf(config: Config): IpFamily[] {
  const families: IpFamily[] = [];
  if (config.records.length === 0 || config.records.some((r) => r.ipv4)) families.push("ipv4");
  if (config.records.length === 0 || config.records.some((r) => r.ipv6)) families.push("ipv6");
  return families;
}

function detector(config: Config, signal: AbortSignal) {
  const timeoutMs = parseDuration(config.detect.timeout) ?? 5000;
  return (family: IpFamily) =>
    detectFamily(family, {
      sources: config.detect[family].sources,
      quorum: config.detect[family].quorum,
      timeoutMs,
      signal,
    });
}

function runDeadline(config: Config): AbortSignal {
  const controller = new AbortController();
  const stop = () => controller.abort(new Error("interrupted"));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  return AbortSignal.any([controller.signal, AbortSignal.timeout(parseDuration(config.timeout) ?? 120_000)]);
}

/**
 * Redacts every string before encoding (an error quoting a reply escaped twice would be escaped a
 * third time by JSON.stringify, into a form redaction does not know), then the text once more.
 */
function printJson(session: Session, value: unknown): void {
  const secrets = session.logger.secrets();
  const plain: unknown = JSON.parse(JSON.stringify(value));
  out(redact(JSON.stringify(redactDeep(plain, secrets), null, 2), secrets));
}

async function commandRun(session: Session): Promise<number> {
  const { config, logger, cli } = session;
  const providers = await buildProviders(session);
  const lock = lockStateDir(session.stateDir);
  try {
    const statePath = join(session.stateDir, "state.json");
    const state = await loadStateFile(statePath, logger);
    const signal = runDeadline(config);
    const report = await runRound({
      config,
      state,
      logger,
      now: () => new Date(),
      signal,
      dryRun: cli.dryRun,
      force: cli.force,
      detect: detector(config, signal),
      provider: async (id) => providers.get(id) as DnsProvider,
    });
    let stateSaved = true;
    if (!cli.dryRun) {
      try {
        // Only timestamps changed when every record came from the cache: no fsync needed.
        const durable = !report.records.every((outcome) => outcome.cached);
        saveStateFile(session.stateDir, redact(`${JSON.stringify(state, null, 1)}\n`, logger.secrets()), {
          path: statePath,
          durable,
        });
      } catch (error) {
        stateSaved = false;
        logger.error(
          `could not save the state file ${statePath} (${errorMessage(error)}); the DNS changes above were made, but the next run will re-check them at the provider`,
        );
      }
    }
    for (const outcome of report.records) if (outcome.status === "failed") logger.error(failureLine(outcome));
    if (cli.json) printJson(session, report);
    else if (cli.verbosity >= 0) for (const line of changeLines(report)) out(line);
    return report.ok && stateSaved ? EXIT.ok : EXIT.failed;
  } finally {
    lock.release();
  }
}

/** Everything one config generation needs; `homing daemon` rebuilds it on SIGHUP. */
async function buildRuntime(session: Session, observers: RoundObserver[] = []): Promise<DaemonRuntime> {
  const { config } = session;
  const providers = await buildProviders(session);
  let schedule: Schedule = { kind: "every", ms: parseDuration(config.daemon.interval) ?? 300_000 };
  if (config.daemon.cron) {
    const expression = config.daemon.cron;
    const { Cron } = await import("croner");
    let cron: InstanceType<typeof Cron>;
    try {
      cron = new Cron(expression, { paused: true });
    } catch (error) {
      throw new ConfigError([
        `${session.loaded.file ?? "(environment)"}: daemon.cron: "${expression}" is not a cron expression (${errorMessage(error)}); use five fields like "*/5 * * * *" or @hourly`,
      ]);
    }
    schedule = { kind: "cron", expression, next: (from) => cron.nextRun(from) };
  }
  return {
    config,
    schedule,
    provider: async (id) => providers.get(id) as DnsProvider,
    detect: (family, signal) => detector(config, signal)(family),
    observers,
  };
}

/** The status server for one config generation (restarted on reload when its settings change). */
async function startStatus(
  session: Session,
  daemon: Daemon,
  metrics: MetricsObserver,
): Promise<StatusServer | undefined> {
  const { status } = session.config;
  if (!status.listen) return undefined;
  const table = status as unknown as Record<string, unknown>;
  const [bearer, basicPassword, updateToken] = await Promise.all(
    ["auth_token", "basic_password", "update_token"].map((key) =>
      optionalSecret(session, ["status"], table, key),
    ),
  );
  const { startStatusServer } = await import("./status/server.ts");
  const server = await startStatusServer({
    listen: status.listen,
    source: {
      context: () => daemon.context(),
      lastReport: () => daemon.lastReport(),
      requestRound: () => daemon.requestRound(),
    },
    auth: { bearer, basicUser: status.basic_user, basicPassword, updateToken },
    healthGraceMs: parseDuration(status.health_grace) ?? 900_000,
    refreshSeconds: Math.round((parseDuration(status.refresh) ?? 60_000) / 1000),
    metrics,
    logger: session.logger,
  });
  session.logger.notice(`status page on ${server.url}`);
  return server;
}

async function commandDaemon(session: Session): Promise<number> {
  const { logger } = session;
  const lock = lockStateDir(session.stateDir);
  let server: StatusServer | undefined;
  try {
    const statePath = join(session.stateDir, "state.json");
    const state = await loadStateFile(statePath, logger);
    // One metrics observer for the daemon's life: a reload must not reset the counters.
    const { MetricsObserver } = await import("./status/metrics.ts");
    const metrics = new MetricsObserver();
    const observersFor = async (current: Session) => [metrics, ...(await notificationObservers(current))];
    const initial = await buildRuntime(session, await observersFor(session));
    let current = session;
    const daemon: Daemon = new Daemon({
      version: typeof HOMING_VERSION === "string" ? HOMING_VERSION : "dev",
      state,
      saveState: (latest) =>
        saveStateFile(session.stateDir, redact(`${JSON.stringify(latest, null, 1)}\n`, logger.secrets()), {
          path: statePath,
        }),
      logger,
      initial,
      reload: async () => {
        const loaded = await loadConfig(configOptions(session.cli));
        for (const warning of loaded.warnings) logger.warn(warning);
        const next: Session = { ...session, loaded, config: loaded.config };
        const runtime = await buildRuntime(next, await observersFor(next));
        if (JSON.stringify(next.config.status) !== JSON.stringify(current.config.status)) {
          await server?.close();
          server = undefined;
          server = await startStatus(next, daemon, metrics);
        }
        current = next;
        return runtime;
      },
      signals: process,
    });
    server = await startStatus(session, daemon, metrics);
    await daemon.run();
    return EXIT.ok;
  } finally {
    await server?.close();
    lock.release();
  }
}

async function commandDetect(session: Session): Promise<number> {
  const signal = runDeadline(session.config);
  const detect = detector(session.config, signal);
  const detections = await Promise.all(familiesOf(session.config).map((family) => detect(family)));
  if (session.cli.json) printJson(session, { detection: detections });
  else out(redact(detectionText(detections), session.logger.secrets()));
  return detections.every((d) => d.status === "known") ? EXIT.ok : EXIT.failed;
}

async function commandRecords(session: Session): Promise<number> {
  const providers = await buildProviders(session);
  const signal = runDeadline(session.config);
  type Row = {
    provider: string;
    name: string;
    type: string;
    value: string;
    owned: boolean;
    source: "provider" | "dns";
  };
  const result: Row[] = [];
  const problems: string[] = [];
  for (const [id, provider] of providers) {
    const names = session.config.records.filter((r) => r.provider === id).map((r) => normalizeName(r.name));
    // Update-URL services cannot be asked: what we can show is the public DNS answer.
    const source = provider.capabilities.list ? "provider" : "dns";
    const read = methodOf(provider, provider.capabilities.list ? "list" : "lookup");
    try {
      for (const row of await read(names, { signal })) result.push({ provider: id, ...row, source });
    } catch (error) {
      problems.push(`${id}: ${errorMessage(error)}`);
      session.logger.error(`${id}: ${errorMessage(error)}`);
    }
  }
  // For those services, the last address they accepted comes from the state file.
  const noList = [...providers.values()].filter((p) => !p.capabilities.list);
  const state = noList.length
    ? await loadStateFile(join(session.stateDir, "state.json"), session.logger, { setAside: false })
    : emptyState();
  const accepted: Array<{ provider: string; name: string; type: string; value: string; at: string | null }> =
    [];
  for (const provider of noList) {
    for (const record of session.config.records.filter((r) => r.provider === provider.id)) {
      for (const family of ["ipv4", "ipv6"] as const) {
        if (!record[family]) continue;
        const name = normalizeName(record.name);
        const type = recordTypeOf(family);
        const entry = state.records[recordKey(provider.id, name, type)];
        if (entry?.published)
          accepted.push({ provider: provider.id, name, type, value: entry.published, at: entry.verifiedAt });
      }
    }
  }
  if (session.cli.json) printJson(session, { records: result, accepted, errors: problems });
  else {
    // Rows are the service's words: redacted like a log line.
    const say = (line: string) => out(redact(line, session.logger.secrets()));
    for (const record of session.config.records) {
      const name = normalizeName(record.name);
      const rows = result.filter((r) => r.provider === record.provider && r.name === name);
      const provider = providers.get(record.provider);
      if (rows.length === 0 && !problems.some((p) => p.startsWith(`${record.provider}:`))) {
        say(
          `${name} (${record.provider}${provider?.capabilities.list === false ? ", DNS answer" : ""}): no records`,
        );
      }
      for (const row of rows) {
        const notes = [
          row.provider,
          ...(row.source === "dns" ? ["DNS answer"] : []),
          ...(row.owned ? [] : ["not managed by homing"]),
        ];
        say(`${name} ${row.type} ${row.value} (${notes.join(", ")})`);
      }
      for (const entry of accepted.filter((a) => a.provider === record.provider && a.name === name)) {
        say(
          `${name} ${entry.type} ${entry.value} (${entry.provider}, last accepted by ${provider?.label ?? "the service"}${entry.at ? ` at ${entry.at}` : ""}, from the state file)`,
        );
      }
    }
  }
  return problems.length ? EXIT.failed : EXIT.ok;
}

async function commandCheck(session: Session): Promise<number> {
  const where = session.loaded.file ?? "the environment";
  out(`config ${where}: ok (${session.config.records.length} record(s))`);
  const providers = await buildProviders(session);
  const { notify, heartbeat } = session.config;
  if (notify.urls.length || notify.urls_file || heartbeat.healthchecks || heartbeat.uptime_kuma) {
    const { buildObservers } = await import("./notify/index.ts");
    const observers = buildObservers(session.config, { logger: session.logger });
    out(`notifications: ok (${observers.map((o) => o.name).join(", ")})`);
  }
  const signal = runDeadline(session.config);
  let failed = false;
  for (const [id, provider] of providers) {
    try {
      const names = session.config.records.filter((r) => r.provider === id).map((r) => normalizeName(r.name));
      // What a provider says about itself can quote the service's replies: redacted like a log line.
      const said = await provider.verifyAccess({ signal, names });
      out(redact(`provider ${id} (${provider.label}): ok, ${said}`, session.logger.secrets()));
    } catch (error) {
      failed = true;
      session.logger.error(`provider ${id} (${provider.label}): ${errorMessage(error)}`);
    }
  }
  return failed ? EXIT.failed : EXIT.ok;
}

/**
 * The container's health check. Exit 0 only when the state file was read and no record failed its
 * last round; 1 when a record failed, the state file cannot be read or is damaged, or there was no
 * run yet (no state file).
 */
async function commandStatus(session: Session): Promise<number> {
  const statePath = join(session.stateDir, "state.json");
  const read = readStateFile(statePath);
  const { state } = read;
  if (read.kind === "missing")
    session.logger.warn(`no run yet: the state file ${statePath} does not exist (the first round writes it)`);
  else if (read.kind !== "ok")
    session.logger.error(`cannot read the state file ${statePath}: ${read.problem}`);
  const keys: string[] = [];
  for (const record of session.config.records) {
    for (const family of ["ipv4", "ipv6"] as const) {
      if (record[family])
        keys.push(recordKey(record.provider, normalizeName(record.name), recordTypeOf(family)));
    }
  }
  if (session.cli.json) {
    printJson(session, {
      stateFile: statePath,
      stateFileStatus: read.kind,
      records: keys.map((key) => state.records[key] ?? { key, lastResult: "never run" }),
      providers: state.providers,
      detection: state.detection,
      history: state.history,
    });
  } else {
    out(statusText(state, keys, new Date()));
  }
  const failing = keys.some((key) => state.records[key]?.lastResult === "failed");
  return failing || read.kind !== "ok" ? EXIT.failed : EXIT.ok;
}

async function commandInit(cli: CliOptions): Promise<number> {
  const target = resolve(cli.target ?? "homing.toml");
  try {
    const fd = openSync(target, "wx", 0o600);
    writeSync(fd, STARTER_CONFIG);
    closeSync(fd);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") {
      throw new ConfigError([
        `${target} already exists; homing init never overwrites a config (pick another FILE)`,
      ]);
    }
    throw new ConfigError([`cannot write ${target}: ${errorMessage(error)}`]);
  }
  out(`wrote ${target}: edit the [providers] and [[records]] tables, then run: homing check -c ${target}`);
  return EXIT.ok;
}

/** Notification and heartbeat observers; loaded only by the daemon. */
async function notificationObservers(session: Session): Promise<RoundObserver[]> {
  const { notify, heartbeat } = session.config;
  if (notify.urls.length === 0 && !notify.urls_file && !heartbeat.healthchecks && !heartbeat.uptime_kuma)
    return [];
  const { buildObservers } = await import("./notify/index.ts");
  return buildObservers(session.config, { logger: session.logger });
}

function configOptions(cli: CliOptions): LoadOptions {
  return {
    flagPath: cli.config,
    env: process.env,
    cwd: process.cwd(),
    home: homedir(),
    flags: cli.logFormat ? { log_format: cli.logFormat } : {},
  };
}

async function main(argv: readonly string[]): Promise<number> {
  const bootLogger = createLogger({ level: "warn", format: "text", write: (l) => process.stderr.write(l) });
  let cli: CliOptions;
  try {
    cli = parseCli(argv);
  } catch (error) {
    bootLogger.error(`${errorMessage(error)}\nRun "homing --help" for usage.`);
    return EXIT.config;
  }
  if (cli.command === "help") {
    out(USAGE);
    return EXIT.ok;
  }
  if (cli.command === "version") {
    out(`homing ${typeof HOMING_VERSION === "string" ? HOMING_VERSION : "dev"}`);
    return EXIT.ok;
  }
  let logger = createLogger({
    level: logLevelFor(cli, "notice"),
    format: cli.logFormat ?? "text",
    write: (l) => process.stderr.write(l),
  });
  try {
    if (cli.command === "init") return await commandInit(cli);
    const loaded = await loadConfig(configOptions(cli));
    const { config } = loaded;
    logger = createLogger({
      level: logLevelFor(cli, config.log_level),
      format: config.log_format,
      write: (l) => process.stderr.write(l),
    });
    for (const warning of loaded.warnings) logger.warn(warning);
    const session: Session = {
      cli,
      loaded,
      config,
      logger,
      stateDir: config.state_dir ?? defaultStateDir(process.env),
    };
    switch (cli.command) {
      case "run":
        return await commandRun(session);
      case "daemon":
        return await commandDaemon(session);
      case "detect":
        return await commandDetect(session);
      case "records":
        return await commandRecords(session);
      case "check":
        return await commandCheck(session);
      case "status":
        return await commandStatus(session);
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const problem of error.problems) logger.error(problem);
      return EXIT.config;
    }
    if (error instanceof LockHeldError) {
      logger.error(error.message);
      return EXIT.locked;
    }
    if (error instanceof UsageError) {
      logger.error(error.message);
      return EXIT.config;
    }
    logger.error(`unexpected failure: ${errorMessage(error)}`);
    return EXIT.failed;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`homing: unexpected failure: ${errorMessage(error)}\n`);
    process.exit(1);
  },
);
