// How the overview writes its figures: a ratio as a whole percent, a duration in its largest sensible unit.

/** 0.6 → "60 %"; null (nothing to divide) → "–". */
export function percent(x: number | null): string {
  return x === null ? '–' : `${Math.round(x * 100)} %`
}

/** 42 → "42 s", 600 → "10 min", 5400 → "1.5 h", 200000 → "2.3 d"; null → "–". */
export function duration(seconds: number | null): string {
  if (seconds === null) return '–'
  if (seconds < 90) return `${Math.round(seconds)} s`
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`
  if (seconds < 36 * 3600) return `${(seconds / 3600).toFixed(1)} h`
  return `${(seconds / 86400).toFixed(1)} d`
}

/** A bucket's start as its axis label: the hour of an hourly series, the date of a daily one. */
export function bucketLabel(iso: string, bucket: 'hour' | 'day'): string {
  const d = new Date(iso)
  return bucket === 'hour'
    ? d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
    : d.toLocaleDateString([], { month: 'short', day: 'numeric' })
}
