// How many lanes (incident workflow IDs) one routing pass may signal. A claim is counted in alerts, but a pass's time
// is mostly its signals, one per lane: a claim of 5,000 alerts on 5,000 distinct keys would hold the router for as
// many signalWithStart calls (about 50 s on a busy dev server) while every other company's alerts waited. The pass
// keeps the alerts of its first lanes, in claim order, and leaves the rest where they are for the next pass: a claim
// writes nothing, so leaving an alert costs no write.

export interface LaneKeyed {
  companyId: string;
  aggregationKey: string;
}

/**
 * The claimed alerts whose lane fits the budget: at most `perCompany` lanes of one company and `total` lanes in all.
 * An alert of a lane already taken always fits (a storm on one key routes whole). The aggregation key stands for the
 * lane: placement may fold several keys into one lane (a host fault's symptoms), never one key into several, so the
 * count errs on the side of fewer lanes.
 */
export function withinLaneBudget<A extends LaneKeyed>(
  claimed: readonly A[],
  perCompany: number,
  total: number,
): { kept: A[]; left: number } {
  const lanes = new Map<string, Set<string>>();
  let taken = 0;
  const kept: A[] = [];
  for (const a of claimed) {
    let own = lanes.get(a.companyId);
    if (!own) lanes.set(a.companyId, (own = new Set()));
    if (!own.has(a.aggregationKey)) {
      if (own.size >= perCompany || taken >= total) continue;
      own.add(a.aggregationKey);
      taken += 1;
    }
    kept.push(a);
  }
  return { kept, left: claimed.length - kept.length };
}
