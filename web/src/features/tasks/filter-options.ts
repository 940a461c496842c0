/** The choices of each filter: they must be values the API accepts (a test checks the task types). */
export const filterOptions = {
  status: ['open', 'in_progress', 'completed', 'completed_with_issues'],
  workflowState: ['pending', 'in_progress', 'pending_review', 'review_passed', 'data_submitted', 'open', 'resolved'],
  type: ['labeling', 'review', 'consensus', 'qualification', 'honeypot', 'ticket'],
  priority: ['high', 'medium', 'low', 'none'],
};
