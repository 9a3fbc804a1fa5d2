// The starter catalogue a company admin imports in one click: common Linux and Windows fixes, each a runbook draft
// that passes the same validation as a save (test/unit/runbook-catalogue.test.ts). Services, pools and folders are
// parameters the company edits after import; values from the alert arrive only through quoted placeholders.
import { DEFAULT_TIMEOUT_SECONDS, type RunbookDraft } from './runbook.ts';

export interface CatalogueEntry extends RunbookDraft {
  /** Stable id of the entry, for importing a chosen few. */
  key: string;
  platform: 'linux' | 'windows';
}

const SH = 'AWS-RunShellScript';
const PS = 'AWS-RunPowerShellScript';

const entry = (e: Omit<CatalogueEntry, 'timeoutSeconds' | 'parameters'> & Partial<RunbookDraft>): CatalogueEntry => ({
  parameters: {},
  timeoutSeconds: DEFAULT_TIMEOUT_SECONDS,
  ...e,
});

export const RUNBOOK_CATALOGUE: readonly CatalogueEntry[] = [
  entry({
    key: 'linux-disk-cleanup',
    platform: 'linux',
    name: 'Linux: clean up disk space',
    description: 'Removes temp files older than a day, vacuums the journal to 200 MB and cleans the package cache.',
    signatures: ['disk_full', 'disk_space_low*'],
    riskLevel: 'low',
    documentName: SH,
    commands: [
      'find /tmp /var/tmp -xdev -type f -mtime +1 -delete',
      'journalctl --vacuum-size=200M',
      'if command -v apt-get >/dev/null; then apt-get clean; else yum clean all || true; fi',
      'df -h /',
    ],
  }),
  entry({
    key: 'linux-rotate-logs',
    platform: 'linux',
    name: 'Linux: rotate logs now',
    description: 'Forces logrotate and trims the journal to a week, for log volumes filling a disk.',
    signatures: ['log_volume_high', 'disk_full:/var/log*'],
    riskLevel: 'low',
    documentName: SH,
    commands: ['logrotate --force /etc/logrotate.conf', 'journalctl --vacuum-time=7d', 'df -h /var/log'],
  }),
  entry({
    key: 'linux-restart-service',
    platform: 'linux',
    name: 'Linux: restart a systemd service',
    description:
      'Restarts the service named by the "service" parameter: only when the unit exists (pre-check), and the run ' +
      'succeeds only when it is active again (post-check).',
    signatures: ['service_down:nginx'],
    riskLevel: 'medium',
    documentName: SH,
    parameters: { service: 'nginx' },
    preCheck: ['systemctl cat -- {{param.service}} >/dev/null'],
    commands: ['systemctl restart -- {{param.service}}'],
    postCheck: ['systemctl is-active -- {{param.service}}'],
    timeoutSeconds: 300,
  }),
  entry({
    key: 'linux-clear-app-cache',
    platform: 'linux',
    name: 'Linux: clear an application cache',
    description: 'Empties the cache directory set in "cacheDir" (the directory itself stays).',
    signatures: ['cache_full', 'cache_dir_full*'],
    riskLevel: 'medium',
    documentName: SH,
    parameters: { cacheDir: '/var/cache/app' },
    commands: ['find {{param.cacheDir}} -mindepth 1 -delete', 'du -sh {{param.cacheDir}}'],
  }),
  entry({
    key: 'linux-free-memory-caches',
    platform: 'linux',
    name: 'Linux: free page cache',
    description: 'Flushes dirty pages and drops the kernel page cache; running processes keep their memory.',
    signatures: ['memory_high'],
    riskLevel: 'medium',
    documentName: SH,
    commands: ['sync', 'echo 1 > /proc/sys/vm/drop_caches', 'free -m'],
    timeoutSeconds: 120,
  }),
  entry({
    key: 'linux-restart-docker-container',
    platform: 'linux',
    name: 'Linux: restart a Docker container',
    description: 'Restarts the container named by the alert label "container" and shows its state.',
    signatures: ['container_down:*', 'container_unhealthy:*'],
    riskLevel: 'medium',
    documentName: SH,
    commands: ['docker restart -- {{label.container}}', 'docker ps --all --filter name={{label.container}}'],
    timeoutSeconds: 300,
  }),
  entry({
    key: 'linux-flush-dns',
    platform: 'linux',
    name: 'Linux: flush the DNS cache',
    description: "Flushes systemd-resolved's cache and shows its statistics.",
    signatures: ['dns_resolution_failed'],
    riskLevel: 'low',
    documentName: SH,
    commands: ['resolvectl flush-caches', 'resolvectl statistics'],
    timeoutSeconds: 60,
  }),
  entry({
    key: 'linux-resync-clock',
    platform: 'linux',
    name: 'Linux: resync the clock',
    description: 'Steps the clock with chrony when it drifted.',
    signatures: ['clock_skew', 'ntp_*'],
    riskLevel: 'low',
    documentName: SH,
    commands: ['chronyc makestep', 'chronyc tracking'],
    timeoutSeconds: 60,
  }),
  entry({
    key: 'windows-recycle-iis-app-pool',
    platform: 'windows',
    name: 'Windows: recycle an IIS app pool',
    description: 'Recycles the IIS application pool named by the "appPool" parameter.',
    signatures: ['iis_app_pool_stopped', 'iis_app_pool_*'],
    riskLevel: 'medium',
    documentName: PS,
    parameters: { appPool: 'DefaultAppPool' },
    commands: [
      'Import-Module WebAdministration',
      'Restart-WebAppPool -Name {{param.appPool}}',
      'Get-WebAppPoolState -Name {{param.appPool}}',
    ],
    timeoutSeconds: 300,
  }),
  entry({
    key: 'windows-clear-temp',
    platform: 'windows',
    name: 'Windows: clear temp folders',
    description: 'Deletes files older than a day from the system and service temp folders.',
    signatures: ['windows_disk_full', 'disk_full:C:*'],
    riskLevel: 'low',
    documentName: PS,
    commands: [
      '$cutoff = (Get-Date).AddDays(-1)',
      "Get-ChildItem -Path $env:TEMP, 'C:\\Windows\\Temp' -Recurse -Force -ErrorAction SilentlyContinue | " +
        'Where-Object { -not $_.PSIsContainer -and $_.LastWriteTime -lt $cutoff } | ' +
        'Remove-Item -Force -ErrorAction SilentlyContinue',
      'Get-PSDrive -Name C | Select-Object Used, Free',
    ],
  }),
  entry({
    key: 'windows-restart-service',
    platform: 'windows',
    name: 'Windows: restart a service',
    description:
      'Restarts the Windows service named by the "service" parameter; the run succeeds only when it is running ' +
      'again (post-check).',
    signatures: ['windows_service_down:*'],
    riskLevel: 'medium',
    documentName: PS,
    parameters: { service: 'Spooler' },
    commands: ['Restart-Service -Name {{param.service}} -Force'],
    postCheck: ["if ((Get-Service -Name {{param.service}}).Status -ne 'Running') { exit 1 }"],
    timeoutSeconds: 300,
  }),
  entry({
    key: 'windows-flush-dns-renew-dhcp',
    platform: 'windows',
    name: 'Windows: flush DNS and renew DHCP',
    description: 'Flushes the resolver cache and renews the DHCP lease of every adapter.',
    signatures: ['windows_dns_resolution_failed', 'dhcp_lease_*'],
    riskLevel: 'low',
    documentName: PS,
    commands: ['ipconfig /flushdns', 'ipconfig /renew'],
    timeoutSeconds: 120,
  }),
  entry({
    key: 'windows-free-memory-iis',
    platform: 'windows',
    name: 'Windows: restart IIS to free memory',
    description: 'Restarts IIS (all sites) when w3wp holds too much memory.',
    signatures: ['windows_memory_high', 'iis_memory_high'],
    riskLevel: 'high',
    documentName: PS,
    commands: ['iisreset /restart', 'Get-Service -Name W3SVC | Select-Object Status'],
    timeoutSeconds: 300,
  }),
];

/** The draft a catalogue entry saves as (without the catalogue's own fields). */
export function catalogueDraft(e: CatalogueEntry): RunbookDraft {
  const { key: _key, platform: _platform, ...draft } = e;
  return {
    ...draft,
    signatures: [...draft.signatures],
    commands: [...draft.commands],
    parameters: { ...draft.parameters },
    preCheck: [...(draft.preCheck ?? [])],
    postCheck: [...(draft.postCheck ?? [])],
  };
}
