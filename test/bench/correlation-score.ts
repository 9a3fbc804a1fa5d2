// Pair precision/recall of a grouping against the truth, and the seeds' baseline grouping.
import type { CorrelationAlert } from '../../domain/correlate.ts';

export interface Score {
  precision: number;
  recall: number;
  f1: number;
  noiseReduction: number;
}

const pairs = (n: number) => (n * (n - 1)) / 2;

function countPairs(labels: string[]): number {
  const counts = new Map<string, number>();
  for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  let total = 0;
  for (const n of counts.values()) total += pairs(n);
  return total;
}

/** Pairs of alerts put together that truly belong together, over all put together / all that belong together. */
export function score(truth: string[], predicted: string[]): Score {
  const both = countPairs(truth.map((t, i) => `${t}\u0000${predicted[i]}`));
  const predictedPairs = countPairs(predicted);
  const truePairs = countPairs(truth);
  const precision = predictedPairs === 0 ? 1 : both / predictedPairs;
  const recall = truePairs === 0 ? 1 : both / truePairs;
  return {
    precision,
    recall,
    f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall),
    noiseReduction: 1 - new Set(predicted).size / predicted.length,
  };
}

/** Seed 001's algorithm: join the key's incident while it is younger than 15 minutes, else open a new one. */
export function seedBaseline(alerts: CorrelationAlert[], windowMinutes = 15): string[] {
  const open = new Map<string, { id: string; createdAt: number }>();
  let n = 0;
  const byTime = alerts.map((a, i) => ({ a, i })).sort((x, y) => x.a.at - y.a.at || x.i - y.i);
  const out: string[] = new Array(alerts.length);
  for (const { a, i } of byTime) {
    const key = `${a.asset}|${a.signature}`;
    const current = open.get(key);
    if (current && a.at - current.createdAt <= windowMinutes * 60_000) {
      out[i] = current.id;
    } else {
      const g = { id: `s${++n}`, createdAt: a.at };
      open.set(key, g);
      out[i] = g.id;
    }
  }
  return out;
}

/**
 * Where a grouping goes wrong, by scenario: pairs put together that belong apart ("a/b": the two alerts'
 * scenarios) and pairs that belong together left apart. Quadratic: fine for a bench corpus of a thousand alerts.
 */
export function errorsByScenario(
  alerts: Array<{ truth: string; scenario: string }>,
  predicted: string[],
): { falseMerges: Map<string, number>; missed: Map<string, number> } {
  const falseMerges = new Map<string, number>();
  const missed = new Map<string, number>();
  const add = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  for (let i = 0; i < alerts.length; i++) {
    for (let j = i + 1; j < alerts.length; j++) {
      const together = predicted[i] === predicted[j];
      const belong = alerts[i]!.truth === alerts[j]!.truth;
      if (together && !belong) add(falseMerges, [alerts[i]!.scenario, alerts[j]!.scenario].sort().join('/'));
      if (belong && !together) add(missed, alerts[i]!.scenario);
    }
  }
  return { falseMerges, missed };
}
