// Integration keys and the HMAC signing secret over GraphQL (a company's admins). A key or secret is returned
// once, by the mutation that makes it, with the ready-made URL of every receiver; lists show hints only. A key's
// signing policy and receiver limit are set when it is issued and changeable later.
import { KEY_RECEIVERS, KEY_SIGNING } from '../../../domain/key-policy.ts';
import { dropCachedKeys } from '../../ingest/company-keys.ts';
import { builder, requireUser, type GraphQLContext } from '../builder.ts';
import { requireCompanyAdmin } from '../../tenants/access.ts';
import {
  createKey,
  listKeys,
  revokeKey,
  rotateKey,
  setKeyPolicy,
  type IntegrationKeyRecord,
} from '../../tenants/keys.ts';
import { removeSigningSecret, rotateSigningSecret } from '../../tenants/secrets.ts';
import { CompanyRef } from './company.ts';
import { actorOf, guard } from './tenant-errors.ts';

/** Where each monitoring tool posts; the docs (docs/receivers.md) say how to set each tool up. */
export const RECEIVER_PATHS: Array<{ receiver: string; tool: string; path: string }> = [
  { receiver: 'alerts', tool: 'Any tool (generic JSON)', path: '/api/webhooks/alerts' },
  { receiver: 'alertmanager', tool: 'Prometheus Alertmanager', path: '/api/webhooks/alertmanager' },
  { receiver: 'grafana', tool: 'Grafana', path: '/api/webhooks/grafana' },
  { receiver: 'datadog', tool: 'Datadog', path: '/api/webhooks/datadog' },
  { receiver: 'zabbix', tool: 'Zabbix', path: '/api/webhooks/zabbix' },
  { receiver: 'cloudwatch', tool: 'CloudWatch (SNS)', path: '/api/webhooks/cloudwatch' },
  { receiver: 'events_v2', tool: 'PagerDuty Events v2 senders', path: '/api/webhooks/events/v2' },
];

const KeySigningEnum = builder.enumType('KeySigning', {
  values: KEY_SIGNING,
  description:
    'While the company has a signing secret: signed_only = every request with the key must be signed (Alertmanager, ' +
    'Grafana, Datadog, Zabbix and Events v2 senders, which cannot sign, are refused); unsigned_allowed = only the ' +
    'generic route needs a signature. Without a secret nothing is verified and this has no effect.',
});

const KeyReceiverEnum = builder.enumType('KeyReceiver', { values: KEY_RECEIVERS });

const IntegrationKeyRef = builder.objectRef<IntegrationKeyRecord>('IntegrationKey').implement({
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    keyHint: t.exposeString('keyHint'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    lastUsedAt: t.expose('lastUsedAt', { type: 'DateTime', nullable: true }),
    expiresAt: t.expose('expiresAt', {
      type: 'DateTime',
      nullable: true,
      description: 'Set when the key was rotated: it keeps working until then.',
    }),
    revokedAt: t.expose('revokedAt', { type: 'DateTime', nullable: true }),
    signing: t.expose('signing', { type: KeySigningEnum }),
    receiver: t.expose('receiver', {
      type: KeyReceiverEnum,
      nullable: true,
      description: 'The one receiver the key works on; null = every receiver.',
    }),
    active: t.boolean({
      resolve: (k) => !k.revokedAt && (!k.expiresAt || Date.parse(k.expiresAt) > Date.now()),
    }),
  }),
});

const WebhookUrlRef = builder.objectRef<{ receiver: string; tool: string; url: string }>('WebhookUrl').implement({
  fields: (t) => ({ receiver: t.exposeString('receiver'), tool: t.exposeString('tool'), url: t.exposeString('url') }),
});

function urlsFor(ctx: GraphQLContext, apiKey: string) {
  return RECEIVER_PATHS.map((r) => ({
    ...r,
    url: `${ctx.config.publicUrl}${r.path}?api_key=${encodeURIComponent(apiKey)}`,
  }));
}

const IssuedKeyRef = builder
  .objectRef<{ key: IntegrationKeyRecord; apiKey: string; webhookUrls: ReturnType<typeof urlsFor> }>('IssuedKey')
  .implement({
    description: 'A new key, shown this once: store it in the monitoring tool now.',
    fields: (t) => ({
      key: t.field({ type: IntegrationKeyRef, resolve: (p) => p.key }),
      apiKey: t.exposeString('apiKey'),
      webhookUrls: t.field({ type: [WebhookUrlRef], resolve: (p) => p.webhookUrls }),
    }),
  });

builder.objectField(CompanyRef, 'integrationKeys', (t) =>
  t.field({
    type: [IntegrationKeyRef],
    description: "The company's keys (hints only), active first. Company admins and MSP admins.",
    resolve: (c, _args, ctx) =>
      guard(async () => {
        requireCompanyAdmin(requireUser(ctx), c.id);
        return listKeys(ctx.sql, c.id);
      }),
  }),
);

builder.mutationField('createIntegrationKey', (t) =>
  t.field({
    type: IssuedKeyRef,
    description:
      'signing defaults to signed_only when the company has a signing secret, else unsigned_allowed; ' +
      'receiver defaults to every receiver.',
    args: {
      companyId: t.arg.id({ required: true }),
      name: t.arg.string({ required: true }),
      signing: t.arg({ type: KeySigningEnum }),
      receiver: t.arg({ type: KeyReceiverEnum }),
    },
    resolve: (_root, args, ctx) =>
      guard(async () => {
        requireCompanyAdmin(requireUser(ctx), String(args.companyId));
        const issued = await createKey(ctx.sql, actorOf(ctx), String(args.companyId), args.name, {
          ...(args.signing ? { signing: args.signing } : {}),
          receiver: args.receiver ?? null,
        });
        return { ...issued, webhookUrls: urlsFor(ctx, issued.apiKey) };
      }),
  }),
);

builder.mutationField('rotateIntegrationKey', (t) =>
  t.field({
    type: IssuedKeyRef,
    description: 'A new key under the same name; the old one keeps working for overlapHours (default 24, 0 = now).',
    args: {
      companyId: t.arg.id({ required: true }),
      keyId: t.arg.id({ required: true }),
      overlapHours: t.arg.float({ defaultValue: 24 }),
    },
    resolve: (_root, args, ctx) =>
      guard(async () => {
        requireCompanyAdmin(requireUser(ctx), String(args.companyId));
        const issued = await rotateKey(
          ctx.sql,
          actorOf(ctx),
          String(args.companyId),
          String(args.keyId),
          args.overlapHours ?? 24,
        );
        dropCachedKeys();
        return { ...issued, webhookUrls: urlsFor(ctx, issued.apiKey) };
      }),
  }),
);

builder.mutationField('revokeIntegrationKey', (t) =>
  t.field({
    type: IntegrationKeyRef,
    args: { companyId: t.arg.id({ required: true }), keyId: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) =>
      guard(async () => {
        requireCompanyAdmin(requireUser(ctx), String(args.companyId));
        const key = await revokeKey(ctx.sql, actorOf(ctx), String(args.companyId), String(args.keyId));
        dropCachedKeys();
        return key;
      }),
  }),
);

builder.mutationField('setIntegrationKeyPolicy', (t) =>
  t.field({
    type: IntegrationKeyRef,
    description:
      "Sets a working key's signing policy and receiver limit (receiver null = every receiver); the next delivery " +
      'with the key is held to them. signed_only needs the company to have a signing secret.',
    args: {
      companyId: t.arg.id({ required: true }),
      keyId: t.arg.id({ required: true }),
      signing: t.arg({ type: KeySigningEnum, required: true }),
      receiver: t.arg({ type: KeyReceiverEnum }),
    },
    resolve: (_root, args, ctx) =>
      guard(async () => {
        requireCompanyAdmin(requireUser(ctx), String(args.companyId));
        const key = await setKeyPolicy(ctx.sql, actorOf(ctx), String(args.companyId), String(args.keyId), {
          signing: args.signing,
          receiver: args.receiver ?? null,
        });
        // This process's deliveries see the change at once; other API processes hear the trigger's NOTIFY.
        dropCachedKeys();
        return key;
      }),
  }),
);

const SigningSecretRef = builder.objectRef<{ secret: string; example: string }>('SigningSecret').implement({
  description: 'A new HMAC signing secret, shown this once, with a signing example.',
  fields: (t) => ({ secret: t.exposeString('secret'), example: t.exposeString('example') }),
});

function signingExample(ctx: GraphQLContext, secret: string): string {
  return [
    `SECRET='${secret}'`,
    `BODY='{"asset_name":"srv-app-01","signature":"disk_full","severity":"high","message":"Disk 95% full","tool_source":"Prometheus"}'`,
    'TS=$(date +%s)',
    'SIG="sha256=$(printf \'%s.%s\' "$TS" "$BODY" | openssl dgst -sha256 -hmac "$SECRET" -hex | sed \'s/^.* //\')"',
    `curl -X POST '${ctx.config.publicUrl}/api/webhooks/alerts' -H "X-API-Key: $API_KEY" \\`,
    `  -H 'Content-Type: application/json' -H "X-Timestamp: $TS" -H "X-Signature: $SIG" -d "$BODY"`,
  ].join('\n');
}

builder.mutationField('rotateSigningSecret', (t) =>
  t.field({
    type: SigningSecretRef,
    description:
      'A new HMAC secret: generic-route deliveries, and every delivery with a signed_only key, must then be signed. ' +
      'The old secret verifies for overlapHours.',
    args: { companyId: t.arg.id({ required: true }), overlapHours: t.arg.float({ defaultValue: 24 }) },
    resolve: (_root, args, ctx) =>
      guard(async () => {
        requireCompanyAdmin(requireUser(ctx), String(args.companyId));
        const secret = await rotateSigningSecret(
          ctx.sql,
          ctx.tenants.secrets,
          actorOf(ctx),
          String(args.companyId),
          args.overlapHours ?? 24,
        );
        dropCachedKeys();
        return { secret, example: signingExample(ctx, secret) };
      }),
  }),
);

builder.mutationField('removeSigningSecret', (t) =>
  t.boolean({
    description: 'Deliveries no longer need a signature.',
    args: { companyId: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) =>
      guard(async () => {
        requireCompanyAdmin(requireUser(ctx), String(args.companyId));
        await removeSigningSecret(ctx.sql, actorOf(ctx), String(args.companyId));
        dropCachedKeys();
        return true;
      }),
  }),
);
