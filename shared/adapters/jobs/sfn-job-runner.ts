import { ExecutionDoesNotExist, StartExecutionCommand, StopExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { JobRun, JobRunner } from '../../ports';

/**
 * Starts a job's Standard state machine (`shared/jobs/state-machine.ts`): a Distributed Map over
 * the batch manifest, then the complete step. The execution is named after the job, so a start
 * repeated by a retry cannot run a job twice (StartExecution with the same name and input is
 * idempotent; a different input is refused).
 */
export class SfnJobRunner implements JobRunner {
  constructor(
    private readonly sfn: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  async start(run: JobRun, manifestKey: string): Promise<void> {
    await this.sfn.send(new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name: run.jobId, input: JSON.stringify({ run, manifestKey }) }));
  }

  /**
   * Stops the job's execution (its ARN follows from the machine's and the job id): the
   * Distributed Map starts no more batches. Its ABORTED status event runs the complete step
   * (an EventBridge rule, `infra/jobs.ts`), which writes the report of what ran.
   */
  async stop(run: Pick<JobRun, 'tenantId' | 'jobId'>): Promise<void> {
    const executionArn = `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${run.jobId}`;
    try {
      await this.sfn.send(new StopExecutionCommand({ executionArn, cause: 'The job was cancelled by an admin' }));
    } catch (error) {
      if (!(error instanceof ExecutionDoesNotExist)) throw error;
    }
  }
}
