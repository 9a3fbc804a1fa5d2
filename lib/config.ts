// Every setting the services read, in one place. The README's configuration table mirrors this file.
import {
  DEFAULT_BLAST_RADIUS,
  DEFAULT_BLAST_RADIUS_CEILING,
  effectiveLimits,
  type BlastRadiusLimits,
} from '../domain/blast-radius.ts';
export interface Config {
  databaseUrl: string | undefined;
  temporalAddress: string;
  temporalNamespace: string;
  /** The task queue incident workflows run on: the worker polls it, the router and the API start runs on it. */
  taskQueue: string;
  temporalUiUrl: string;
  port: number;
  host: string;
  publicUrl: string;
  jwtSecret: string | undefined;
  /** Seals HMAC signing secrets at rest (AES-256-GCM); losing it means re-issuing every company's secret. */
  encryptionKey: string | undefined;
  remediationMode: 'auto' | 'ssm' | 'dry_run';
  awsRegion: string;
  ssmPollIntervalMs: number;
  /** SSM_ENDPOINT: an SSM-compatible endpoint for the whole install (moto, LocalStack); unset = AWS. */
  ssmEndpoint: string | undefined;
  /** STS_ENDPOINT: an STS-compatible endpoint for AssumeRole into companies' accounts (moto); unset = AWS. */
  stsEndpoint: string | undefined;
  /** AWS_INSTALL_ACCOUNT_ID: the account companies' trust policies name; unset = GetCallerIdentity of the install. */
  awsInstallAccountId: string | undefined;
  /** PATCH_REFRESH_MINUTES: how often the patch-compliance schedule reads every company's patch states. */
  patchRefreshMinutes: number;
  /**
   * WORKER_MAX_CACHED_WORKFLOWS: incident runs the worker keeps in memory between their tasks. Each costs about
   * 0.85 MB (bench:storm's worker peaked at 814 MB with 250, 1,447 MB with 1,000); one evicted replays its short history
   * at its next task, a few ms. Bounds the worker's memory whatever the count of open incidents (issue 16 item 3).
   */
  workerMaxCachedWorkflows: number;
  /**
   * WORKER_WORKFLOW_THREADS: threads that run the worker's workflow code. The SDK's own work per workflow task (its
   * promise hooks capture a stack at every promise) kept one thread busy through a storm (issue 16 item 3).
   */
  workerWorkflowThreads: number;
  /**
   * WORKER_NICE: the worker's scheduling niceness (0 to 19), so on a machine it shares with the API the webhook gets
   * the CPU first while a storm's workflow tasks wait (bench:ingest's open loop at 1,000/s: p99 1,324 ms at 0 with two
   * workflow threads). 0 leaves it as started.
   */
  workerNice: number;
  /**
   * ROUTER_NICE: the router process's scheduling niceness (0 to 19), for the same reason: routing can wait a few
   * milliseconds, a webhook's answer should not (bench:ingest back to back, router at 10 against 0: single alerts
   * 964 → 1,239 req/s, open-loop p50 35 → 24 ms). 0 leaves it as started. A router inside the API process (ROUTER unset) is not reniced.
   */
  routerNice: number;
  /**
   * ROUTER_LEASE_SECONDS (5 to 3,600): a router whose process hangs with its connection open lets go of its companies'
   * partitions after this long without a word on its lock session (PostgreSQL's idle_session_timeout, PostgreSQL 14
   * or later), and another router routes them.
   */
  routerLeaseSeconds: number;
  /**
   * COMMAND_DEADLINE_MS (500 to 120,000): how long a person's command on an incident (acknowledge, merge, run a
   * runbook) waits for the incident's workflow before the API answers PENDING; the command goes on and takes effect
   * when Temporal and a worker answer (api/graphql/command-waits.ts).
   */
  commandDeadlineMs: number;
  defaultGroupWaitSeconds: number;
  defaultApprovalTimeoutSeconds: number;
  webhookRatePerMinute: number;
  /** The most alerts a minute a company's own `webhookRatePerMinute` may ask for (and what an old 0 now means). */
  webhookRatePerMinuteMax: number;
  /** Lets tenant-set outbound URLs (chat webhooks) reach loopback, private and link-local addresses: tests, labs. */
  outboundAllowPrivate: boolean;
  /** ROUTER=off: `npm run api` starts no alert router (the router runs as its own process, `npm run router`). */
  runRouter: boolean;
  /** Active or pending silences a company may hold (MAX_ACTIVE_SILENCES); the router reads at most this many a pass. */
  maxActiveSilences: number;
  /** Express "trust proxy": which proxies may name the client in X-Forwarded-For; false = the socket's peer. */
  trustProxy: boolean | number | string;
  /** The largest WebSocket message the API reads, in bytes. */
  wsMaxPayloadBytes: number;
  /** WebSockets per process that have not finished connection_init yet; more are refused. */
  wsMaxUnauthenticated: number;
  graphiql: boolean;
  /** NODE_ENV=production: errors masked, no secrets or links in logs, no GraphiQL. */
  production: boolean;
  /**
   * METRICS_TOKEN: GET /metrics wants `Authorization: Bearer <token>`; unset, it answers only loopback clients in
   * production (a Prometheus beside the API) and anyone otherwise.
   */
  metricsToken: string | undefined;
  /** Access-token lifetime (ASVS: 15–30 min); the refresh cookie renews it. */
  accessTokenTtl: string;
  /** Minutes without a request or refresh after which a session ends. */
  sessionIdleMinutes: number;
  /** smtp://user:pass@host:port (or smtps://); unset = no email, links are shown to the admin instead. */
  smtpUrl: string | undefined;
  mailFrom: string;
  /** The blast-radius guard's defaults for companies that set none (REMEDIATION_MAX_RUNS_PER_ASSET_PER_HOUR, ...). */
  blastRadiusDefaults: BlastRadiusLimits;
  /** The most a company's own remediation limits may ask for (the same names with _CEILING). */
  blastRadiusCeilings: BlastRadiusLimits;
  /** LLM decisions (activities/decision/): install-wide provider access; each company picks in its settings. */
  decision: DecisionConfig;
}

export interface DecisionConfig {
  /** GEMINI_API_KEY; unset = a company set to gemini is decided by the rules, saying why. */
  geminiApiKey: string | undefined;
  /** GEMINI_BASE_URL: a Gemini-compatible endpoint (tests, proxies); unset = Google's. */
  geminiBaseUrl: string | undefined;
  /** BEDROCK_ENDPOINT: a Bedrock Runtime-compatible endpoint; unset = AWS in AWS_REGION. */
  bedrockEndpoint: string | undefined;
  /** The models a company gets when its settings name none (GEMINI_MODEL, BEDROCK_MODEL). */
  geminiModel: string;
  bedrockModel: string;
  /** DECISION_TIMEOUT_MS: how long a provider may take before the rules decide (default 8000). */
  timeoutMs: number;
  /** DECISION_MAX_OUTPUT_TOKENS: the answer's token budget (default 512). */
  maxOutputTokens: number;
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  return n;
}

/** true or false (unset = false); anything else is refused rather than read as false. */
function flag(env: NodeJS.ProcessEnv, name: string): boolean {
  const raw = env[name]?.trim() ?? '';
  if (raw !== '' && raw !== 'true' && raw !== 'false') throw new Error(`${name} must be true or false, got "${raw}"`);
  return raw === 'true';
}

/** on or off (unset = on); anything else is refused rather than guessed. */
function onOff(env: NodeJS.ProcessEnv, name: string): boolean {
  const raw = env[name]?.trim() ?? '';
  if (raw !== '' && raw !== 'on' && raw !== 'off') throw new Error(`${name} must be on or off, got "${raw}"`);
  return raw !== 'off';
}

/** AWS_INSTALL_ACCOUNT_ID: 12 digits, or unset. */
function installAccountId(raw: string | undefined): string | undefined {
  const value = raw?.trim() ?? '';
  if (value === '') return undefined;
  if (!/^\d{12}$/.test(value)) throw new Error(`AWS_INSTALL_ACCOUNT_ID must be 12 digits, got "${value.slice(0, 40)}"`);
  return value;
}

/** SSM_ENDPOINT: an http(s) URL, or unset; the worker sends signed AWS calls there, so a typo must not start. */
function ssmEndpoint(raw: string | undefined, name = 'SSM_ENDPOINT'): string | undefined {
  const value = raw?.trim() ?? '';
  if (value === '') return undefined;
  const url = URL.canParse(value) ? new URL(value) : null;
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new Error(`${name} must be an http(s) URL such as http://localhost:5000, got "${value.slice(0, 100)}"`);
  }
  return value;
}

/** An optional http(s) URL setting: a typo must stop the start, not send requests somewhere else. */
function httpUrl(name: string, raw: string | undefined): string | undefined {
  const value = raw?.trim() ?? '';
  if (value === '') return undefined;
  const url = URL.canParse(value) ? new URL(value) : null;
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new Error(`${name} must be an http(s) URL, got "${value.slice(0, 100)}"`);
  }
  return value.replace(/\/$/, '');
}

/** TRUST_PROXY as express takes it: true/false, a hop count, or addresses and subnets ("loopback, 10.0.0.0/8"). */
function trustProxy(raw: string | undefined): boolean | number | string {
  const value = raw?.trim() ?? '';
  if (value === '' || value === 'false') return false;
  if (value === 'true') return true;
  return /^\d+$/.test(value) ? Number(value) : value;
}

/** MAX_ACTIVE_SILENCES alone, for the router when its caller does not pass it. */
export function maxActiveSilences(env: NodeJS.ProcessEnv = process.env): number {
  return Math.max(int(env, 'MAX_ACTIVE_SILENCES', 1_000), 1);
}

/** MAX_INHIBITION_RULES: inhibition rules a company may hold; the router compiles every one of them each pass. */
export function maxInhibitionRules(env: NodeJS.ProcessEnv = process.env): number {
  return Math.max(int(env, 'MAX_INHIBITION_RULES', 100), 1);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = int(env, 'PORT', 3000);
  const mode = env.REMEDIATION_MODE ?? 'auto';
  if (mode !== 'auto' && mode !== 'ssm' && mode !== 'dry_run') {
    throw new Error(`REMEDIATION_MODE must be auto, ssm or dry_run, got "${mode}"`);
  }
  return {
    databaseUrl: env.DATABASE_URL || undefined,
    temporalAddress: env.TEMPORAL_ADDRESS || 'localhost:7233',
    temporalNamespace: env.TEMPORAL_NAMESPACE || 'default',
    // The same default as TASK_QUEUE (workflows/types.ts), which tests and scripts use without a config.
    taskQueue: env.TEMPORAL_TASK_QUEUE || 'alert-whisperer',
    temporalUiUrl: (env.TEMPORAL_UI_URL || 'http://localhost:8233').replace(/\/$/, ''),
    port,
    host: env.HOST || '0.0.0.0',
    publicUrl: (env.PUBLIC_URL || `http://localhost:${port}`).replace(/\/$/, ''),
    jwtSecret: env.JWT_SECRET || undefined,
    encryptionKey: env.ENCRYPTION_KEY || undefined,
    remediationMode: mode,
    awsRegion: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    ssmPollIntervalMs: int(env, 'SSM_POLL_INTERVAL_MS', 2000),
    ssmEndpoint: ssmEndpoint(env.SSM_ENDPOINT),
    stsEndpoint: ssmEndpoint(env.STS_ENDPOINT, 'STS_ENDPOINT'),
    awsInstallAccountId: installAccountId(env.AWS_INSTALL_ACCOUNT_ID),
    // Patch Manager scans are usually daily; every 6 hours shows a new scan soon without a call per page view.
    patchRefreshMinutes: Math.max(int(env, 'PATCH_REFRESH_MINUTES', 360), 1),
    workerMaxCachedWorkflows: Math.max(int(env, 'WORKER_MAX_CACHED_WORKFLOWS', 250), 2),
    workerWorkflowThreads: Math.min(Math.max(int(env, 'WORKER_WORKFLOW_THREADS', 2), 1), 16),
    workerNice: Math.min(Math.max(int(env, 'WORKER_NICE', 10), 0), 19),
    routerNice: Math.min(Math.max(int(env, 'ROUTER_NICE', 10), 0), 19),
    routerLeaseSeconds: Math.min(Math.max(int(env, 'ROUTER_LEASE_SECONDS', 30), 5), 3600),
    commandDeadlineMs: Math.min(Math.max(int(env, 'COMMAND_DEADLINE_MS', 10_000), 500), 120_000),
    defaultGroupWaitSeconds: int(env, 'GROUP_WAIT_SECONDS', 5),
    defaultApprovalTimeoutSeconds: int(env, 'APPROVAL_TIMEOUT_SECONDS', 3600),
    webhookRatePerMinute: int(env, 'WEBHOOK_RATE_PER_MINUTE', 600),
    webhookRatePerMinuteMax: Math.max(int(env, 'WEBHOOK_RATE_PER_MINUTE_MAX', 6_000), 1),
    outboundAllowPrivate: flag(env, 'OUTBOUND_ALLOW_PRIVATE'),
    runRouter: onOff(env, 'ROUTER'),
    maxActiveSilences: maxActiveSilences(env),
    trustProxy: trustProxy(env.TRUST_PROXY),
    wsMaxPayloadBytes: Math.max(int(env, 'WS_MAX_PAYLOAD_BYTES', 65_536), 1024),
    wsMaxUnauthenticated: Math.max(int(env, 'WS_MAX_UNAUTHENTICATED', 100), 1),
    graphiql: env.NODE_ENV !== 'production',
    production: env.NODE_ENV === 'production',
    metricsToken: env.METRICS_TOKEN || undefined,
    accessTokenTtl: env.ACCESS_TOKEN_TTL || '15m',
    sessionIdleMinutes: Math.max(int(env, 'SESSION_IDLE_MINUTES', 60), 1),
    smtpUrl: env.SMTP_URL || undefined,
    ...blastRadius(env),
    mailFrom: env.MAIL_FROM || 'Alert Whisperer <alert-whisperer@localhost>',
    decision: {
      geminiApiKey: env.GEMINI_API_KEY || undefined,
      geminiBaseUrl: httpUrl('GEMINI_BASE_URL', env.GEMINI_BASE_URL),
      bedrockEndpoint: httpUrl('BEDROCK_ENDPOINT', env.BEDROCK_ENDPOINT),
      geminiModel: env.GEMINI_MODEL || 'gemini-2.0-flash',
      bedrockModel: env.BEDROCK_MODEL || 'anthropic.claude-3-haiku-20240307-v1:0',
      timeoutMs: Math.max(int(env, 'DECISION_TIMEOUT_MS', 8_000), 100),
      maxOutputTokens: Math.max(int(env, 'DECISION_MAX_OUTPUT_TOKENS', 512), 64),
    },
  };
}

/** True when the AWS SDK's default credential chain has something to work with. */
export function awsCredentialsConfigured(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(
    (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) ||
    env.AWS_PROFILE ||
    env.AWS_WEB_IDENTITY_TOKEN_FILE ||
    env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI ||
    env.AWS_CONTAINER_CREDENTIALS_FULL_URI,
  );
}

/** What the API needs beyond Config: the secrets it cannot run without. */
export type ServiceConfig = Config & { jwtSecret: string; encryptionKey: string };

/** The API's secrets from the environment, or an error saying how to make them. */
export function requireSecrets(config: Config): ServiceConfig {
  for (const [name, value] of [
    ['JWT_SECRET', config.jwtSecret],
    ['ENCRYPTION_KEY', config.encryptionKey],
  ] as const) {
    if (!value || value.length < 32) {
      throw new Error(
        `${name} must be set to a random string of at least 32 characters for \`npm run api\` (e.g. \`openssl rand -hex 32\`)`,
      );
    }
  }
  return { ...config, jwtSecret: config.jwtSecret!, encryptionKey: config.encryptionKey! };
}

/** Each limit at least 1, and a default never above its ceiling. */
function blastRadius(env: NodeJS.ProcessEnv): Pick<Config, 'blastRadiusDefaults' | 'blastRadiusCeilings'> {
  const read = (name: string, fallback: number): number => Math.max(int(env, name, fallback), 1);
  const C = DEFAULT_BLAST_RADIUS_CEILING;
  const D = DEFAULT_BLAST_RADIUS;
  const ceilings: BlastRadiusLimits = {
    maxRunsPerAssetPerHour: read('REMEDIATION_MAX_RUNS_PER_ASSET_PER_HOUR_CEILING', C.maxRunsPerAssetPerHour),
    maxRunsPerRunbookPerHour: read('REMEDIATION_MAX_RUNS_PER_RUNBOOK_PER_HOUR_CEILING', C.maxRunsPerRunbookPerHour),
    maxConcurrentRuns: read('REMEDIATION_MAX_CONCURRENT_RUNS_CEILING', C.maxConcurrentRuns),
  };
  const defaults: BlastRadiusLimits = {
    maxRunsPerAssetPerHour: read('REMEDIATION_MAX_RUNS_PER_ASSET_PER_HOUR', D.maxRunsPerAssetPerHour),
    maxRunsPerRunbookPerHour: read('REMEDIATION_MAX_RUNS_PER_RUNBOOK_PER_HOUR', D.maxRunsPerRunbookPerHour),
    maxConcurrentRuns: read('REMEDIATION_MAX_CONCURRENT_RUNS', D.maxConcurrentRuns),
  };
  return { blastRadiusDefaults: effectiveLimits(defaults, defaults, ceilings), blastRadiusCeilings: ceilings };
}
