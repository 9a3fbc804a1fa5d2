// A company's own Gemini API key over GraphQL (its admins and MSP admins): set or remove it; read only whether it is
// set and its last four characters. The key itself is in no answer, not even the mutation's that sets it.
import { builder, requireUser } from '../builder.ts';
import { requireCompanyAdmin } from '../../tenants/access.ts';
import { readDecisionKeys, removeGeminiKey, setGeminiKey, type DecisionKeys } from '../../tenants/decision-keys.ts';
import { CompanyRef } from './company.ts';
import { actorOf, guard } from './tenant-errors.ts';

const BEDROCK_NOTE =
  'Amazon Bedrock needs no key of its own: it is called with AWS credentials (the install’s), so there is ' +
  'nothing secret to store per company.';

const DecisionKeysRef = builder
  .objectRef<DecisionKeys & { installGeminiKey: boolean }>('DecisionProviderKeys')
  .implement({
    description: "Which keys this company's decisions use, never the keys themselves.",
    fields: (t) => ({
      geminiKeyHint: t.exposeString('geminiKeyHint', {
        nullable: true,
        description: "The company's own Gemini key's last four characters; null = the install's key is used.",
      }),
      installGeminiKey: t.exposeBoolean('installGeminiKey', {
        description: 'Whether the install has a Gemini key (GEMINI_API_KEY) for companies without their own.',
      }),
      bedrock: t.string({ resolve: () => BEDROCK_NOTE }),
    }),
  });

builder.objectField(CompanyRef, 'decisionKeys', (t) =>
  t.field({
    type: DecisionKeysRef,
    description: 'Company admins and MSP admins.',
    resolve: (c, _args, ctx) =>
      guard(async () => {
        requireCompanyAdmin(requireUser(ctx), c.id);
        return { ...(await readDecisionKeys(ctx.sql, c.id)), installGeminiKey: !!ctx.config.decision.geminiApiKey };
      }),
  }),
);

builder.mutationField('setGeminiApiKey', (t) =>
  t.field({
    type: DecisionKeysRef,
    description:
      "The company's own Gemini API key for its decisions, kept sealed; replaces any earlier one. Answers the hint only.",
    args: { companyId: t.arg.id({ required: true }), apiKey: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) =>
      guard(async () => {
        requireCompanyAdmin(requireUser(ctx), String(args.companyId));
        const keys = await setGeminiKey(
          ctx.sql,
          ctx.tenants.secrets,
          actorOf(ctx),
          String(args.companyId),
          args.apiKey,
        );
        return { ...keys, installGeminiKey: !!ctx.config.decision.geminiApiKey };
      }),
  }),
);

builder.mutationField('removeGeminiApiKey', (t) =>
  t.field({
    type: DecisionKeysRef,
    description: "The company's decisions go back to the install's Gemini key.",
    args: { companyId: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) =>
      guard(async () => {
        requireCompanyAdmin(requireUser(ctx), String(args.companyId));
        const keys = await removeGeminiKey(ctx.sql, actorOf(ctx), String(args.companyId));
        return { ...keys, installGeminiKey: !!ctx.config.decision.geminiApiKey };
      }),
  }),
);
