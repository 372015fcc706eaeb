import { LABEL_ISSUE_RANKINGS, LABEL_ISSUES_LIMIT_DEFAULT, LABEL_ISSUES_LIMIT_MAX, type LabelIssueRanking, type LabelIssuesReport } from '../../src-shared/contract';
import { api } from '../lib/contract-client';
import { errorText } from '../lib/errors';
import { decodeBase64 } from '../lib/pixels';

/** The Evaluation view's "Likely label issues" panel: one evaluation's confident-learning report, on request. */
export class LabelIssuesStore {
  report = $state<LabelIssuesReport | null>(null);
  /** The listed faces' pixels, decoded once per report. */
  pixels = $derived(this.report ? decodeBase64(this.report.pixelsBase64) : new Uint8Array(0));
  error = $state<string | null>(null);
  loading = $state(false);
  // The form's defaults and bounds are the contract's.
  rankBy = $state<LabelIssueRanking>(LABEL_ISSUE_RANKINGS[0]);
  limit = $state(LABEL_ISSUES_LIMIT_DEFAULT);
  readonly limitMax = LABEL_ISSUES_LIMIT_MAX;
  readonly evaluationId: number;

  constructor(evaluationId: number) {
    this.evaluationId = evaluationId;
  }

  async load(): Promise<void> {
    this.loading = true;
    this.error = null;
    try {
      this.report = await api.invoke('eval.labelIssues', { evaluationId: this.evaluationId, limit: this.limit, rankBy: this.rankBy });
    } catch (err) {
      this.error = errorText(err);
    } finally {
      this.loading = false;
    }
  }
}
