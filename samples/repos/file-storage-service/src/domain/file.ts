export class InvariantGuard {}
// tenant prefix: assertInvariant(key.startsWith(tenant))
