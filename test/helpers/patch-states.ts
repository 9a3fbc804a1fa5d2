// Patch states as SSM sends them, for the AWS proxy's DescribeInstancePatchStates table.
import type { PatchStateWire } from './aws-proxy.ts';

export function patchState(
  instanceId: string,
  o: Partial<Omit<PatchStateWire, 'OperationEndTime'>> & { hoursAgo?: number } = {},
): PatchStateWire {
  const { hoursAgo = 3, ...counts } = o;
  const ended = Math.floor(Date.now() / 1000) - hoursAgo * 3600;
  return {
    InstanceId: instanceId,
    PatchGroup: 'default',
    BaselineId: 'pb-0123456789abcdef0',
    Operation: 'Scan',
    OperationStartTime: ended - 60,
    OperationEndTime: ended,
    MissingCount: 0,
    CriticalNonCompliantCount: 0,
    SecurityNonCompliantCount: 0,
    FailedCount: 0,
    InstalledPendingRebootCount: 0,
    ...counts,
  };
}
