/**
 * Recovery code sets and access passes in maps, for unit tests of the two ways back. Like the
 * DynamoDB adapter: a set is replaced whole, only over the set the caller read, a code's slot is spent only with a challenge's
 * approval (and only once), a pass is used only inside its window and, when one-time, once, and a
 * step-up challenge authorises one change.
 */
import type { AccessPassRecord, AccessPassStore, AccessPassUse, RecoveryCodeSet, RecoveryCodeStore, RecoveryCodeUse, StepUpUse, UserScope } from '../../shared/ports';
import type { InMemoryChallengeStore } from './fakes';

const copy = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
const userKey = (scope: UserScope, userId: string): string => [scope.tenantId, scope.space, userId].join('\u0000');

export class InMemoryRecoveryStore implements RecoveryCodeStore, AccessPassStore {
  readonly sets = new Map<string, RecoveryCodeSet>();
  readonly passes = new Map<string, AccessPassRecord[]>();
  private readonly usedStepUps = new Set<string>();

  constructor(private readonly challenges: InMemoryChallengeStore) {
    challenges.recovery = {
      usable: (input) => (input.recovery ? this.codeUsable(input.recovery) : input.pass ? this.passUsable(input.pass) : true),
      use: (input) => {
        if (input.recovery) this.spendCode(input.recovery);
        if (input.pass) this.usePass(input.pass);
      },
    };
  }

  async putSet(set: RecoveryCodeSet, replaces: string | undefined, stepUp?: StepUpUse): Promise<'stored' | 'set_changed' | 'step_up_used'> {
    if (this.sets.get(userKey(set, set.userId))?.setId !== replaces) return 'set_changed';
    if (stepUp) {
      const c = await this.challenges.get(stepUp.challengeId);
      const fresh = c && c.tenantId === stepUp.tenantId && c.userId === stepUp.userId && c.status === 'approved' && (c.approvedAt ?? 0) > stepUp.approvedAfter;
      if (!fresh || this.usedStepUps.has(stepUp.challengeId)) return 'step_up_used';
      // Checked again after the await: the write and its condition are one step, as in the transaction.
      if (this.sets.get(userKey(set, set.userId))?.setId !== replaces) return 'set_changed';
      this.usedStepUps.add(stepUp.challengeId);
    }
    this.sets.set(userKey(set, set.userId), copy(set));
    return 'stored';
  }

  async getSet(scope: UserScope, userId: string): Promise<RecoveryCodeSet | undefined> {
    const found = this.sets.get(userKey(scope, userId));
    return found && copy(found);
  }

  private readonly issued = new Map<string, number>();

  async putPass(pass: AccessPassRecord, issued: number): Promise<boolean> {
    const key = userKey(pass, pass.userId);
    if ((this.issued.get(key) ?? 0) !== issued) return false;
    this.issued.set(key, issued + 1);
    this.passes.set(key, [...(this.passes.get(key) ?? []), copy(pass)]);
    return true;
  }

  async issueState(scope: UserScope, userId: string): Promise<{ passes: AccessPassRecord[]; issued: number }> {
    return { passes: await this.listPasses(scope, userId), issued: this.issued.get(userKey(scope, userId)) ?? 0 };
  }

  async listPasses(scope: UserScope, userId: string): Promise<AccessPassRecord[]> {
    return copy(this.passes.get(userKey(scope, userId)) ?? []);
  }

  async deletePass(scope: UserScope, userId: string, passId: string): Promise<boolean> {
    const key = userKey(scope, userId);
    const all = this.passes.get(key) ?? [];
    this.passes.set(key, all.filter((p) => p.passId !== passId));
    return all.some((p) => p.passId === passId);
  }

  private codeUsable(use: RecoveryCodeUse): boolean {
    const set = this.sets.get(userKey(use, use.userId));
    return !!set && set.setId === use.setId && use.slot in set.hashes;
  }

  private spendCode(use: RecoveryCodeUse): void {
    const key = userKey(use, use.userId);
    const set = this.sets.get(key) as RecoveryCodeSet;
    const { [use.slot]: _spent, ...hashes } = set.hashes;
    this.sets.set(key, { ...set, hashes });
  }

  private findPass(use: AccessPassUse): AccessPassRecord | undefined {
    return (this.passes.get(userKey(use, use.userId)) ?? []).find((p) => p.passId === use.passId);
  }

  private passUsable(use: AccessPassUse): boolean {
    const pass = this.findPass(use);
    return !!pass && pass.startsAt <= use.now && pass.expiresAt > use.now && (!use.oneTime || pass.uses === 0);
  }

  private usePass(use: AccessPassUse): void {
    const key = userKey(use, use.userId);
    this.passes.set(
      key,
      (this.passes.get(key) ?? []).map((p) => (p.passId === use.passId ? { ...p, uses: p.uses + 1, lastUsedAt: new Date(use.now).toISOString() } : p)),
    );
  }
}
