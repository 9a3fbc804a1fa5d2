// A company's correlation settings and their defaults (the rules that use them: domain/correlate.ts).

export type KeyField = 'asset' | 'signature' | 'tool' | `label:${string}`;

export interface CorrelationConfig {
  /** Off: every alert is its own incident. */
  autoCorrelate: boolean;
  keyFields: KeyField[];
  /** A group stays open this long after its last alert (1–60). */
  windowMinutes: number;
  /** Alerts a group needs before it is an incident (1–100); smaller groups are kept but page nobody. */
  minAlerts: number;
  /**
   * A host-level fault on an asset takes that asset's other alerts while its own alerts fired within the window or
   * still fire, except a signature firing across the fleet (domain/host-fault-scope.ts).
   */
  hostFaults: boolean;
  /** Compare signatures in canonical form, so two tools' names for one fault match. */
  crossTool: boolean;
}

export const DEFAULT_CORRELATION: CorrelationConfig = {
  autoCorrelate: true,
  keyFields: ['asset', 'signature'],
  windowMinutes: 15,
  minAlerts: 1,
  hostFaults: true,
  crossTool: true,
};

/** A company's stored settings over the defaults. */
export function correlationConfigOf(
  stored: Partial<Omit<CorrelationConfig, 'keyFields'>> & { keyFields?: string[] } = {},
): CorrelationConfig {
  return {
    ...DEFAULT_CORRELATION,
    ...stored,
    keyFields: (stored.keyFields as KeyField[] | undefined) ?? DEFAULT_CORRELATION.keyFields,
  };
}
