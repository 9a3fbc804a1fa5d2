// Which of an asset's alerts a host fault may take as its symptoms. Folding by asset alone over-merged (issue 16):
// a fault kept open by the symptoms it absorbed took a problem that came back long after the host did, and a
// storm across the fleet that also hit the host was not that host's symptom. So a fault covers a moment only by
// its own alerts (it fired within the window, or is still firing), and a signature firing on several healthy
// assets at once is left to its own grouping.

const MINUTE = 60_000;

/** A signature firing on at least this many other assets (not themselves down) is fleet-wide, not a symptom. */
export const FLEET_WIDE_ASSETS = 5;
/** How close together those assets' alerts must be to count as one storm. */
export const FLEET_WINDOW_MS = 10 * MINUTE;

export interface FaultSpan {
  /** The fault's own last alert (a symptom never moves it), epoch ms. */
  lastAt: number;
  /** Its own alerts are still firing (the live path knows; the lab and the bench do not). */
  firing?: boolean;
}

/** Whether a host fault still takes its asset's alerts at `at`: its own alerts fired within the window, or fire. */
export function faultCovers(fault: FaultSpan, at: number, windowMs: number): boolean {
  return fault.firing === true || at - fault.lastAt <= windowMs;
}

/**
 * Recent alerts per signature and asset, to tell a fleet-wide storm from one host's symptom. Streaming: an alert is
 * judged on what was seen up to it, so a storm's first few alerts on a down host may still fold.
 */
export class FleetSightings {
  private readonly bySignature = new Map<string, Map<string, number>>();
  private readonly down = new Map<string, number>();

  /** An alert seen: `signature` in the form keys compare it in (canonical when cross-tool). */
  note(signature: string, asset: string, at: number): void {
    const assets = this.bySignature.get(signature) ?? new Map<string, number>();
    assets.set(asset, Math.max(assets.get(asset) ?? -Infinity, at));
    this.bySignature.set(signature, assets);
  }

  /** An asset with a host fault until `lastAt`: its alerts of a signature are its outage's, not a storm's. */
  noteDown(asset: string, lastAt: number): void {
    this.down.set(asset, Math.max(this.down.get(asset) ?? -Infinity, lastAt));
  }

  /** Whether `signature` fired on enough other healthy assets within the fleet window before `at`. */
  isFleetWide(signature: string, asset: string, at: number): boolean {
    const assets = this.bySignature.get(signature);
    if (!assets) return false;
    let others = 0;
    for (const [other, seen] of assets) {
      if (at - seen > FLEET_WINDOW_MS) {
        assets.delete(other);
        continue;
      }
      const down = this.down.get(other);
      const healthy = down === undefined || Math.abs(seen - down) > FLEET_WINDOW_MS;
      if (other !== asset && healthy && ++others >= FLEET_WIDE_ASSETS) return true;
    }
    return false;
  }
}
