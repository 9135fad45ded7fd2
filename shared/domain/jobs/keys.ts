// Where a job's files live: every key starts with its tenant and job (R27).

export const jobObjects = {
  upload: (tenantId: string, jobId: string) => `${tenantId}/${jobId}/upload.csv`,
  manifest: (tenantId: string, jobId: string) => `${tenantId}/${jobId}/manifest.json`,
  reportPart: (tenantId: string, jobId: string, batch: number) => `${tenantId}/${jobId}/report/${String(batch).padStart(7, '0')}.jsonl`,
  report: (tenantId: string, jobId: string) => `${tenantId}/${jobId}/report.jsonl`,
  export: (tenantId: string, jobId: string) => `${tenantId}/${jobId}/users.csv`,
};
