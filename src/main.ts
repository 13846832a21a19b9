/**
 * Composition root: the only module that reads argv and the environment, builds the concrete
 * adapters and calls process.exit. Everything below receives what it needs.
 */
import { accessSync, constants, existsSync, statSync } from "node:fs";
import { homedir, hostname, networkInterfaces } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { ParsedHash } from "./bridge/password.ts";
import type { BridgeServer } from "./bridge/server.ts";
import { type CliOptions, parseCli, USAGE } from "./cli/args.ts";
import { explainHeader, explainSummary } from "./cli/explain.ts";
import { commandUsageText } from "./cli/help.ts";
import { detectionText, statusText } from "./cli/output.ts";
import { acceptedRecords, recordsText, type ShownRecord } from "./cli/records.ts";
import { type LoadedConfig, type LoadOptions, loadConfig } from "./config/load.ts";
import type { Config } from "./config/schema.ts";
import { STARTER_CONFIG, starterConfig, starterConfigFor } from "./config/starter.ts";
import { parseDuration } from "./core/duration.ts";
import { type IpFamily, parseAddress, specialRange } from "./core/ip.ts";
import { normalizeName } from "./core/records.ts";
import type { Schedule } from "./core/schedule.ts";
import { redact, redactDeep } from "./core/secret.ts";
import { emptyState } from "./core/state.ts";
import { detectionNeeds, expandTargets, FAMILIES, familiesOf, namesOf } from "./core/targets.ts";
import { detectFamily } from "./detect/detect.ts";
import type { AnnouncementTrigger } from "./detect/sources/announcements.ts";
import { createSources, sourceTable, watchedInterfaces } from "./detect/sources/index.ts";
import { temporaryGuard } from "./detect/temporary-guard.ts";
import { Daemon, type DaemonRuntime, type ExtraSource } from "./engine/daemon.ts";
import type { RoundObserver } from "./engine/observer.ts";
import { reportLines } from "./engine/report-lines.ts";
import { type RoundReport, runRound } from "./engine/round.ts";
import { ConfigError, errorMessage, LockHeldError, UsageError } from "./errors.ts";
import { logHttpExchanges } from "./http/exchange-log.ts";
import type { AddressWatch } from "./platform/address-watch.ts";
import { createLogger, type Logger, type LogLevel } from "./platform/log.ts";
import { optionalSecret, providerSecret, readSecretFile, type SecretSource } from "./platform/secrets.ts";
import { lockStateDir } from "./platform/state-dir.ts";
import { readStateFile } from "./platform/state-file.ts";
import { defaultStateDir, loadState, saveState, statePath } from "./platform/state-store.ts";
import { createCheckedProvider, methodOf } from "./providers/capabilities.ts";
import type { DnsProvider, ProviderContext } from "./providers/provider.ts";
import type { ProviderConfig } from "./providers/provider-config.ts";
import { PROVIDER_SCHEMAS } from "./providers/schemas.ts";
import type { MetricsObserver } from "./status/metrics.ts";
import type { StatusServer } from "./status/server.ts";

declare const HOMING_VERSION: string;
/** The version the build stamped in (scripts/build.mjs); "dev" when run from source. */
const VERSION = typeof HOMING_VERSION === "string" ? HOMING_VERSION : "dev";

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

function secretSource(session: Session): SecretSource {
  return { configFile: session.loaded.file, env: process.env, logger: session.logger };
}

/** Builds every provider the records use, reading their secrets now so a missing one is a config error. */
async function buildProviders(session: Session): Promise<Map<string, DnsProvider>> {
  const providers = new Map<string, DnsProvider>();
  const used = new Set(expandTargets(session.config).map((target) => target.providerId));
  for (const id of used) {
    const config = session.config.providers[id] as ProviderConfig;
    const context: ProviderContext = {
      logger: session.logger,
      sleep,
      random: Math.random,
      secret: (key) => providerSecret(id, config, key, secretSource(session)),
    };
    providers.set(id, await createCheckedProvider(id, config, context));
  }
  return providers;
}

/** The families `homing detect` asks for: those the records manage, or both when there are none. */
function familiesToDetect(config: Config): IpFamily[] {
  return config.records.length === 0 ? [...FAMILIES] : familiesOf(expandTargets(config));
}

function detector(config: Config, signal: AbortSignal, logger: Logger, extra?: ExtraSource) {
  const timeoutMs = parseDuration(config.detect.timeout) ?? 5000;
  const targets = expandTargets(config);
  return async (family: IpFamily) =>
    detectFamily(family, {
      // A push (router bridge): the pushed address alone, or one more source in the quorum.
      sources: extra?.alone
        ? [extra.source]
        : [
            ...(await createSources(config.detect[family].sources, { logger, family })),
            ...(extra ? [extra.source] : []),
          ],
      quorum: extra?.alone ? 1 : config.detect[family].quorum,
      timeoutMs,
      signal,
      need: detectionNeeds(targets, family),
      ...(family === "ipv6"
        ? {
            guard: temporaryGuard(config.detect.ipv6.temporary, {
              onUnreadable: (error) =>
                logger.debug(
                  `cannot tell whether an IPv6 echo answer is a temporary address: ${errorMessage(error)}`,
                ),
            }),
          }
        : {}),
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

/**
 * One round under the lock, then the state saved (not in a dry run): what `homing run` and
 * `homing explain` both do. `ok`: every record correct and the state saved.
 */
async function runOnce(session: Session): Promise<{ report: RoundReport; ok: boolean }> {
  const { config, logger, cli } = session;
  const providers = await buildProviders(session);
  const lock = lockStateDir(session.stateDir);
  try {
    const state = await loadState(session.stateDir, logger);
    const signal = runDeadline(config);
    const report = await runRound({
      config,
      state,
      logger,
      now: () => new Date(),
      signal,
      dryRun: cli.dryRun,
      force: cli.force,
      detect: detector(config, signal, logger),
      provider: async (id) => providers.get(id) as DnsProvider,
    });
    let stateSaved = true;
    if (cli.dryRun) logger.debug("dry run: the state file is not written");
    else {
      try {
        // Only timestamps changed when every record came from the cache: no fsync needed.
        const durable = !report.records.every((outcome) => outcome.cached);
        saveState(session.stateDir, state, { logger, durable });
      } catch (error) {
        stateSaved = false;
        logger.error(
          `could not save the state file ${statePath(session.stateDir)} (${errorMessage(error)}); the DNS changes above were made, but the next run will re-check them at the provider`,
        );
      }
    }
    return { report, ok: report.ok && stateSaved };
  } finally {
    lock.release();
  }
}

async function commandRun(session: Session): Promise<number> {
  const { logger, cli } = session;
  const { report, ok } = await runOnce(session);
  const lines = reportLines(report);
  for (const line of lines) if (line.kind === "failure") logger.error(line.text);
  if (cli.json) printJson(session, report);
  else if (cli.verbosity >= 0) for (const line of lines) if (line.kind === "change") out(line.text);
  return ok ? EXIT.ok : EXIT.failed;
}

/** The header of `homing explain`, printed before anything is logged (main). */
function explainHeaderOf(session: Session): string {
  return explainHeader({
    version: VERSION,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    configFile: session.loaded.file,
    stateFile: statePath(session.stateDir),
    records: session.config.records.length,
    dryRun: session.cli.dryRun,
    force: session.cli.force,
  });
}

/**
 * `homing explain`: `homing run` with every log line (debug level, on stdout, streamed after the
 * header main printed), then the summary of the same report: detection and each record's decision.
 */
async function commandExplain(session: Session): Promise<number> {
  const { report, ok } = await runOnce(session);
  const code = ok ? EXIT.ok : EXIT.failed;
  out(redact(explainSummary(report, code), session.logger.secrets()));
  return code;
}

/** The config without the records a router-trusted bridge pushes for: those follow the pushes only. */
function withoutBridged(config: Config): Config {
  const bridged = new Set(config.bridge.clients.flatMap((client) => client.hostnames.map(normalizeName)));
  return { ...config, records: config.records.filter((record) => !bridged.has(normalizeName(record.name))) };
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
    ...(config.bridge.listen && config.bridge.trust === "router"
      ? { scheduledConfig: withoutBridged(config) }
      : {}),
    schedule,
    provider: async (id) => providers.get(id) as DnsProvider,
    detect: (family, signal, extra) => detector(config, signal, session.logger, extra)(family),
    observers,
  };
}

/** The status server for one config generation (restarted on reload when its settings change). */
async function startStatus(
  session: Session,
  daemon: Daemon,
  metrics: MetricsObserver,
  bridge: () => BridgeServer | undefined,
): Promise<StatusServer | undefined> {
  const { status } = session.config;
  if (!status.listen) return undefined;
  const table = status as unknown as Record<string, unknown>;
  const [bearer, basicPassword, updateToken] = await Promise.all(
    ["auth_token", "basic_password", "update_token"].map((key) =>
      optionalSecret(["status"], table, key, secretSource(session)),
    ),
  );
  const { startStatusServer } = await import("./status/server.ts");
  const server = await startStatusServer({
    listen: status.listen,
    source: {
      context: () => daemon.context(),
      lastReport: () => daemon.lastReport(),
      requestRound: () => daemon.requestRound(),
      pushes: () => bridge()?.pushes(),
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

/** The router bridge (issue 12), when `[bridge]` has a listen; restarted on reload when it changes. */
async function startBridge(session: Session, daemon: Daemon): Promise<BridgeServer | undefined> {
  const { bridge } = session.config;
  if (!bridge.listen) return undefined;
  const { hashOf, parseHash } = await import("./bridge/password.ts");
  const clients = await Promise.all(
    bridge.clients.map(async (client, index) => {
      const label = `bridge.clients[${index}]`;
      let hash: ParsedHash;
      if (client.password_file !== undefined) {
        const secret = await readSecretFile(client.password_file, `${label}.password_file`, session.logger);
        session.logger.addSecret(secret.reveal());
        hash = await hashOf(secret.reveal());
      } else {
        const parsed = parseHash(client.password_hash ?? "");
        if (typeof parsed === "string") throw new ConfigError([`${label}.password_hash: ${parsed}`]);
        hash = parsed;
      }
      return { user: client.user, hash, hostnames: new Set(client.hostnames.map(normalizeName)) };
    }),
  );
  const { startBridgeServer } = await import("./bridge/server.ts");
  return startBridgeServer({
    listen: bridge.listen,
    trust: bridge.trust,
    clients,
    config: () => daemon.context().config,
    pushRound: (push) => daemon.pushRound(push),
    logger: session.logger,
  });
}

/**
 * The router's NAT-PMP/PCP announcements as a trigger (issue 11, part 8): on when a natpmp, pcp or
 * upnp source is configured. An announcement runs a round at once; the interval poll stays.
 */
async function startRouterTrigger(
  session: Session,
  daemon: Daemon,
): Promise<AnnouncementTrigger | undefined> {
  const { config, logger } = session;
  if (config.daemon.watch === false) return undefined;
  const kinds = familiesToDetect(config).flatMap((family) =>
    config.detect[family].sources.map((source) => sourceTable(source).kind),
  );
  const { announcementTrigger } = await import("./detect/sources/announcements.ts");
  return announcementTrigger({
    kinds,
    logger,
    onTrigger: (why) => {
      logger.info(`${why}: running a round now`);
      daemon.requestRound();
    },
  });
}

/**
 * The kernel address watch (issue 11, part 8): on by default when an `interface` source is
 * configured, `daemon.watch` decides otherwise. A change runs a round at once; the interval poll stays.
 */
async function startAddressWatch(session: Session, daemon: Daemon): Promise<AddressWatch | undefined> {
  const { config, logger } = session;
  const families = familiesToDetect(config);
  const watched = new Set(
    families.flatMap((family) => [...watchedInterfaces(config.detect[family].sources)]),
  );
  if (!(config.daemon.watch ?? watched.size > 0)) return undefined;
  const { watchAddresses } = await import("./platform/address-watch.ts");
  const interfaces = watched.size === 0 || watched.has("*") ? "all" : watched;
  logger.info(
    `watching address changes on ${interfaces === "all" ? "every interface" : [...interfaces].join(", ")}`,
  );
  return watchAddresses({
    interfaces,
    logger,
    onChange: (what) => {
      logger.info(`address change (${what}): running a round now`);
      daemon.requestRound();
    },
  });
}

async function commandDaemon(session: Session): Promise<number> {
  const { logger } = session;
  const lock = lockStateDir(session.stateDir);
  let server: StatusServer | undefined;
  let bridge: BridgeServer | undefined;
  let routerTrigger: AnnouncementTrigger | undefined;
  let watch: AddressWatch | undefined;
  try {
    const state = await loadState(session.stateDir, logger);
    // One metrics observer for the daemon's life: a reload must not reset the counters.
    const { MetricsObserver } = await import("./status/metrics.ts");
    const metrics = new MetricsObserver();
    const observersFor = async (current: Session) => [metrics, ...(await notificationObservers(current))];
    const initial = await buildRuntime(session, await observersFor(session));
    let current = session;
    const daemon: Daemon = new Daemon({
      version: VERSION,
      state,
      saveState: (latest) => saveState(session.stateDir, latest, { logger }),
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
          server = await startStatus(next, daemon, metrics, () => bridge);
        }
        if (JSON.stringify(next.config.bridge) !== JSON.stringify(current.config.bridge)) {
          await bridge?.close();
          bridge = undefined;
          bridge = await startBridge(next, daemon);
        }
        routerTrigger?.stop();
        routerTrigger = await startRouterTrigger(next, daemon);
        await watch?.stop();
        watch = await startAddressWatch(next, daemon);
        current = next;
        return runtime;
      },
      signals: process,
    });
    bridge = await startBridge(session, daemon);
    server = await startStatus(session, daemon, metrics, () => bridge);
    routerTrigger = await startRouterTrigger(session, daemon);
    watch = await startAddressWatch(session, daemon);
    await daemon.run();
    return EXIT.ok;
  } finally {
    routerTrigger?.stop();
    await watch?.stop();
    await server?.close();
    await bridge?.close();
    lock.release();
  }
}

async function commandDetect(session: Session): Promise<number> {
  const signal = runDeadline(session.config);
  const detect = detector(session.config, signal, session.logger);
  const detections = await Promise.all(familiesToDetect(session.config).map((family) => detect(family)));
  if (session.cli.json) printJson(session, { detection: detections });
  else out(redact(detectionText(detections), session.logger.secrets()));
  return detections.every((d) => d.status === "known") ? EXIT.ok : EXIT.failed;
}

async function commandRecords(session: Session): Promise<number> {
  if (session.cli.namesOnly) {
    // For the completion scripts: the configured names from the config alone (no secret, no network).
    out([...new Set(expandTargets(session.config).map((target) => target.name))].join("\n"));
    return EXIT.ok;
  }
  const providers = await buildProviders(session);
  const signal = runDeadline(session.config);
  const targets = expandTargets(session.config);
  const rows: ShownRecord[] = [];
  const problems: string[] = [];
  const failedProviders = new Set<string>();
  for (const [id, provider] of providers) {
    // Update-URL services cannot be asked: what we can show is the public DNS answer.
    const source = provider.capabilities.list ? "provider" : "dns";
    const read = methodOf(provider, provider.capabilities.list ? "list" : "lookup");
    try {
      for (const row of await read(namesOf(targets, id), { signal }))
        rows.push({ provider: id, ...row, source });
    } catch (error) {
      problems.push(`${id}: ${errorMessage(error)}`);
      failedProviders.add(id);
      session.logger.error(`${id}: ${errorMessage(error)}`);
    }
  }
  // For those services, the last address they accepted comes from the state file.
  const unlisted = new Set([...providers.values()].filter((p) => !p.capabilities.list).map((p) => p.id));
  const state = unlisted.size
    ? await loadState(session.stateDir, session.logger, { setAside: false })
    : emptyState();
  const accepted = acceptedRecords(targets, unlisted, state);
  if (session.cli.json) printJson(session, { records: rows, accepted, errors: problems });
  else {
    const lines = recordsText({
      names: [
        ...new Map(
          targets.map((t) => [`${t.providerId}/${t.name}`, { provider: t.providerId, name: t.name }]),
        ).values(),
      ],
      rows,
      accepted,
      failedProviders,
      providers: new Map(
        [...providers].map(([id, p]) => [id, { label: p.label, list: p.capabilities.list }]),
      ),
    });
    // Rows are the service's words: redacted like a log line.
    for (const line of lines) out(redact(line, session.logger.secrets()));
  }
  return problems.length ? EXIT.failed : EXIT.ok;
}

async function commandCheck(session: Session): Promise<number> {
  // Each line says what passed; "ok" comes last, and only when every check passed.
  const where = session.loaded.file ?? "the environment";
  const passed: string[] = [];
  // Secrets are read here: a missing or unreadable key is a config error before any line is printed.
  const providers = await buildProviders(session);
  passed.push(`config ${where}: valid (${session.config.records.length} record(s))`);
  const { notify, heartbeat } = session.config;
  if (notify.urls.length || notify.urls_file || heartbeat.healthchecks || heartbeat.uptime_kuma) {
    const { buildObservers } = await import("./notify/index.ts");
    const observers = buildObservers(session.config, { logger: session.logger });
    passed.push(`notifications: ok (${observers.map((o) => o.name).join(", ")})`);
  }
  const signal = runDeadline(session.config);
  let failed = false;
  for (const [id, provider] of providers) {
    try {
      const names = namesOf(expandTargets(session.config), id);
      // What a provider says about itself can quote the service's replies: redacted like a log line.
      const said = await provider.verifyAccess({ signal, names });
      passed.push(redact(`provider ${id} (${provider.label}): ok, ${said}`, session.logger.secrets()));
    } catch (error) {
      failed = true;
      session.logger.error(`provider ${id} (${provider.label}): ${errorMessage(error)}`);
    }
  }
  for (const line of passed) out(line);
  if (failed) return EXIT.failed;
  out("ok");
  return EXIT.ok;
}

/**
 * The container's health check. Exit 0 only when the state file was read and no record failed its
 * last round; 1 when a record failed, the state file cannot be read or is damaged, or there was no
 * run yet (no state file).
 */
async function commandStatus(session: Session): Promise<number> {
  const path = statePath(session.stateDir);
  const read = readStateFile(path);
  const { state } = read;
  if (read.kind === "missing")
    session.logger.warn(`no run yet: the state file ${path} does not exist (the first round writes it)`);
  else if (read.kind !== "ok") session.logger.error(`cannot read the state file ${path}: ${read.problem}`);
  const wanted = session.cli.names;
  const targets = expandTargets(session.config);
  for (const name of wanted) {
    if (!targets.some((target) => target.name === name))
      throw new UsageError(
        `homing status: no record "${name}" in the config; records: ${[...new Set(targets.map((t) => t.name))].join(", ")}`,
      );
  }
  const keys = targets.filter((t) => wanted.length === 0 || wanted.includes(t.name)).map((t) => t.key);
  if (session.cli.json) {
    printJson(session, {
      stateFile: path,
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
  const { refuseExisting, writeConfigFile } = await import("./cli/init-files.ts");
  const target = resolve(cli.target ?? "homing.toml");
  refuseExisting(target);
  // Flags answer the questions: with any of them, or without a terminal, no question is asked.
  const asked = cli.provider !== undefined || cli.recordNames.length > 0 || cli.nonInteractive;
  if (!asked && process.stdin.isTTY && process.stdout.isTTY) return interactiveInit(cli, target);
  let provider: { id: string; table: string } | undefined;
  if (cli.provider !== undefined) {
    const { starterProvider } = await import("./cli/providers.ts");
    provider = starterProvider(cli.provider);
    if (!provider)
      throw new UsageError(
        `homing init --provider: no provider or preset "${cli.provider}"; "homing providers" lists them`,
      );
  }
  const { describeBadHostname } = await import("./core/records.ts");
  for (const name of cli.recordNames) {
    const problem = describeBadHostname(name);
    if (problem) throw new UsageError(`homing init --name "${name}": ${problem}`);
  }
  const names = cli.recordNames.map(normalizeName);
  const text = provider
    ? starterConfigFor(provider, names)
    : names.length
      ? starterConfig({ records: names.map((name) => ({ name, ipv4: true, ipv6: false })) })
      : STARTER_CONFIG;
  writeConfigFile(target, text);
  out(`wrote ${target}: edit the [providers] and [[records]] tables, then run: homing check -c ${target}`);
  return EXIT.ok;
}

/** What the failed check's lines say when the provider could not be reached at all. */
const UNREACHABLE =
  /host not found|DNS lookup failed|network unreachable|host unreachable|connection (refused|reset|timed out)|no answer within|no address of this family/i;

/**
 * `homing init` on a terminal (issue 13): the questions (src/cli/init-wizard.ts), then the secret
 * files (0600, in homing-secrets/ beside the config, mode 0700) and the config, then `check` and a
 * dry run in this process. Nothing is written until every answer is in.
 */
async function interactiveInit(cli: CliOptions, target: string): Promise<number> {
  const { terminalPrompter, PromptAborted } = await import("./cli/prompt.ts");
  const { askInit, askYesNo } = await import("./cli/init-wizard.ts");
  const { initServices, starterProvider } = await import("./cli/providers.ts");
  const { writeInitFiles } = await import("./cli/init-files.ts");
  const secretsDir = join(dirname(target), "homing-secrets");
  const prompter = terminalPrompter({ input: process.stdin, output: process.stdout });
  let answers: Awaited<ReturnType<typeof askInit>>;
  try {
    prompter.say(
      `homing init: a config for ${target}.\nEnter takes the [default]; Ctrl-C stops without writing anything.\n`,
    );
    answers = await askInit(prompter, {
      services: initServices(),
      width: process.stdout.columns ?? 80,
      host: { ipv6Interfaces: globalIpv6Interfaces() },
      secretFile: (id, key) => {
        const path = join(secretsDir, `${id}.${key.replace(/_/g, "-")}`);
        return { path, exists: existsSync(path) };
      },
      existingFile: (path) => {
        const absolute = resolve(path.replace(/^~(?=\/)/, homedir()));
        try {
          accessSync(absolute, constants.R_OK);
          return statSync(absolute).isFile() ? absolute : undefined;
        } catch {
          return undefined;
        }
      },
    });
    const typed = answers.secrets.filter((secret) => secret.value !== undefined);
    prompter.say(
      `\nhoming init will write ${target}${typed.length ? ` and ${typed.map((s) => s.path).join(", ")} (mode 0600)` : ""}.`,
    );
    if (!(await askYesNo(prompter, "Write them?", true))) {
      prompter.say("Nothing was written.");
      return EXIT.failed;
    }
  } catch (error) {
    if (error instanceof PromptAborted) {
      process.stderr.write(`\nhoming init: ${error.message}; nothing was written\n`);
      return 130;
    }
    throw error;
  } finally {
    prompter.close();
  }

  const provider = starterProvider(answers.service.name, {
    values: answers.values,
    secretFiles: Object.fromEntries(answers.secrets.map((secret) => [secret.key, secret.path])),
  });
  if (!provider) throw new Error(`no starter table for ${answers.service.name}`);
  const text = starterConfig({
    heading: `# homing configuration (TOML), written by homing init. Reference: README.md, "Configuration".`,
    provider,
    records: answers.records,
    detect: answers.detect,
  });
  const written = writeInitFiles({
    target,
    text,
    secretsDir,
    secrets: answers.secrets,
    warn: (line) => process.stderr.write(`warning: ${line}\n`),
  });
  out(`wrote ${written.join(", ")}`);
  return verifyInit({ ...cli, config: target }, target);
}

/** `check`, then a dry run, of the config init just wrote; it is kept whatever they say. */
async function verifyInit(cli: CliOptions, target: string): Promise<number> {
  const problems: string[] = [];
  const logger = createLogger({
    level: "notice",
    format: "text",
    write: (line) => {
      problems.push(line);
      process.stderr.write(line);
    },
  });
  // The command as it was started (cron's PATH is short): /usr/local/bin/homing, ./bin/homing, …
  const homing = process.argv[1] ? resolve(process.argv[1]) : "homing";
  const next = [
    "",
    "Next:",
    `  ${homing} run -c ${target}    # update the records now (quiet when nothing changed)`,
    `  cron:    */5 * * * * ${homing} run -c ${target}`,
    `  systemd: homing.service runs "${homing} daemon -c ${target}" (packaging/systemd/; README.md, "Running it")`,
  ];
  let checked = EXIT.failed as number;
  let dryRun = EXIT.failed as number;
  try {
    const loaded = await loadConfig(configOptions(cli));
    for (const warning of loaded.warnings) logger.warn(warning);
    const session: Session = {
      cli,
      loaded,
      config: loaded.config,
      logger,
      stateDir: loaded.config.state_dir ?? defaultStateDir(process.env),
    };
    out("\nChecking it (homing check):");
    checked = await commandCheck(session);
    if (checked === EXIT.ok) {
      out("\nA dry run (homing run --dry-run), which changes nothing:");
      dryRun = await commandRun({ ...session, cli: { ...cli, command: "run", dryRun: true } });
    }
  } catch (error) {
    const lines = error instanceof ConfigError ? error.problems : [errorMessage(error)];
    for (const line of lines) logger.error(line);
  }
  if (checked === EXIT.ok && dryRun === EXIT.ok) {
    out(["", `Ready: ${target} works.`, ...next].join("\n"));
    return EXIT.ok;
  }
  const unreachable = problems.some((line) => UNREACHABLE.test(line));
  out(
    [
      "",
      unreachable
        ? "The provider or the detection sources could not be reached (is the network up?)."
        : `The ${checked === EXIT.ok ? "dry run" : "check"} failed (above).`,
      `${target} and the secret files are kept. Fix what is said above (edit ${target}), then run:`,
      `  ${homing} check -c ${target} && ${homing} run --dry-run -c ${target}`,
      ...next,
    ].join("\n"),
  );
  return EXIT.failed;
}

/**
 * Interfaces holding a public IPv6 address, by the same special-range table every answer is checked
 * against (not documentation, ULA or link-local): the default for IPv6 detection (`interface:<name>`).
 */
function globalIpv6Interfaces(): string[] {
  const isPublic = (text: string) => {
    const address = parseAddress(text);
    return address?.family === "ipv6" && specialRange(address) === undefined;
  };
  return Object.entries(networkInterfaces())
    .filter(([, addresses]) =>
      (addresses ?? []).some(
        (address) => address.family === "IPv6" && !address.internal && isPublic(address.address),
      ),
    )
    .map(([name]) => name);
}

async function commandProviders(cli: CliOptions): Promise<number> {
  const { serviceListing, renderServiceTable } = await import("./cli/providers.ts");
  const listing = serviceListing();
  out(cli.json ? JSON.stringify(listing, null, 2) : renderServiceTable(listing));
  return EXIT.ok;
}

/** `homing bridge hash-password`: the password comes on stdin (never argv, which `ps` shows). */
async function commandHashPassword(): Promise<number> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 4096) throw new UsageError("the password on stdin is longer than 4096 bytes");
    chunks.push(chunk);
  }
  // One trailing newline (from `echo` or a terminal) is not part of the password.
  const password = Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
  if (password.length === 0) {
    throw new UsageError(
      "no password on stdin; try: printf '%s' 'the password' | homing bridge hash-password",
    );
  }
  const { hashPassword } = await import("./bridge/password.ts");
  out(await hashPassword(password));
  return EXIT.ok;
}

/**
 * `homing notify --test`: one test message to every target and heartbeat, one line each. Exit 0
 * only when every one succeeded; 1 when one failed or none is configured.
 */
async function commandNotifyTest(session: Session): Promise<number> {
  const { loadNotifySetup } = await import("./notify/index.ts");
  const { sendTestMessages, testResultLines } = await import("./notify/test-send.ts");
  const setup = loadNotifySetup(session.config, { logger: session.logger });
  const results = await sendTestMessages(setup, { hostname: hostname() });
  if (session.cli.json) printJson(session, { results });
  else for (const line of testResultLines(results)) out(redact(line, session.logger.secrets()));
  if (results.length === 0) {
    session.logger.error(
      'nothing to test: no notification target or heartbeat is configured; add one to the config, e.g. [notify] urls = ["ntfy://ntfy.sh/your-private-topic"] or [heartbeat] healthchecks = "https://hc-ping.com/<uuid>" (README, "Notifications and heartbeats")',
    );
    return EXIT.failed;
  }
  return results.every((result) => result.ok) ? EXIT.ok : EXIT.failed;
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
    providers: PROVIDER_SCHEMAS,
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
    if (cli.bare) {
      // A bare `homing` is a mistake of use: the help on stderr, and exit 2.
      process.stderr.write(`${USAGE}\n`);
      return EXIT.config;
    }
    out(cli.helpFor === undefined ? USAGE : commandUsageText(cli.helpFor));
    return EXIT.ok;
  }
  if (cli.command === "completion") {
    const { completionScript } = await import("./cli/completion.ts");
    const { serviceListing } = await import("./cli/providers.ts");
    const listing = serviceListing();
    const providerTypes = [
      ...new Set(listing.flatMap((s) => [s.type, ...(s.preset !== undefined ? [s.preset] : [])])),
    ].sort();
    out(completionScript(cli.shell ?? "bash", { providerTypes }));
    return EXIT.ok;
  }
  if (cli.command === "version") {
    out(`homing ${VERSION}`);
    return EXIT.ok;
  }
  let logger = createLogger({
    level: logLevelFor(cli, "notice"),
    format: cli.logFormat ?? "text",
    write: (l) => process.stderr.write(l),
  });
  try {
    if (cli.command === "init") return await commandInit(cli);
    if (cli.command === "providers") return await commandProviders(cli);
    if (cli.command === "bridge") return await commandHashPassword();
    const loaded = await loadConfig(configOptions(cli));
    const { config } = loaded;
    // `homing explain` tells everything, as text, on stdout: one narrative to paste.
    const explain = cli.command === "explain";
    const level = explain ? "debug" : logLevelFor(cli, config.log_level);
    logger = createLogger({
      level,
      format: explain ? "text" : config.log_format,
      write: explain ? (l) => process.stdout.write(l) : (l) => process.stderr.write(l),
    });
    // Every HTTP exchange (method, redacted URL, status, time) at debug: `-vv`.
    if (level === "debug") logHttpExchanges(logger);
    const session: Session = {
      cli,
      loaded,
      config,
      logger,
      stateDir: config.state_dir ?? defaultStateDir(process.env),
    };
    if (explain) out(explainHeaderOf(session));
    for (const warning of loaded.warnings) logger.warn(warning);
    switch (cli.command) {
      case "run":
        return await commandRun(session);
      case "explain":
        return await commandExplain(session);
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
      case "notify":
        return await commandNotifyTest(session);
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
