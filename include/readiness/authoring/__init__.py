"""Writing checklists: ``import-checklist`` turns a readiness document into checklist YAML."""
