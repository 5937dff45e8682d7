"""Every GraphQL document the Linear tracker sends, in one place, so a test validates all of
them against Linear's published schema (``readiness.trackers.linear.SCHEMA_PATH``, vendored)."""

from __future__ import annotations

TEAM = """
query ReadinessTeam($key: String!) {
  teams(filter: { key: { eq: $key } }, first: 1) {
    nodes {
      id
      key
      states(first: 100) { nodes { id name type position } }
    }
  }
}
"""

LABELS = """
query ReadinessLabels($names: [String!]!) {
  issueLabels(filter: { name: { in: $names }, team: { null: true } }, first: 50) {
    nodes { id name }
  }
}
"""

LABEL_CREATE = """
mutation ReadinessLabelCreate($input: IssueLabelCreateInput!) {
  issueLabelCreate(input: $input) {
    success
    issueLabel { id name }
  }
}
"""

ISSUE = """
query ReadinessIssue($id: String!) {
  issue(id: $id) {
    id
    identifier
    url
    state { id type }
  }
}
"""

ISSUE_CREATE = """
mutation ReadinessIssueCreate($input: IssueCreateInput!) {
  issueCreate(input: $input) {
    success
    issue { id identifier url state { id type } }
  }
}
"""

COMMENT_CREATE = """
mutation ReadinessComment($input: CommentCreateInput!) {
  commentCreate(input: $input) {
    success
    comment { id }
  }
}
"""

ISSUE_MOVE = """
mutation ReadinessIssueMove($id: String!, $input: IssueUpdateInput!) {
  issueUpdate(id: $id, input: $input) {
    success
    issue { id identifier state { id type } }
  }
}
"""

ALL: dict[str, str] = {
    "ReadinessTeam": TEAM,
    "ReadinessLabels": LABELS,
    "ReadinessLabelCreate": LABEL_CREATE,
    "ReadinessIssue": ISSUE,
    "ReadinessIssueCreate": ISSUE_CREATE,
    "ReadinessComment": COMMENT_CREATE,
    "ReadinessIssueMove": ISSUE_MOVE,
}
