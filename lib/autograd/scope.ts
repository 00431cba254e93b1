// Profiling hooks for the autograd engine: the module currently running forward (so each
// graph node knows which module created it) and an optional timer around each backward node.
// Both are null unless lib/profile turns them on: the cost when off is one null check.

export interface BackwardTimer {
  (scope: string | null, seconds: number): void;
}

export const profiling: { scope: string | null; backwardTimer: BackwardTimer | null } = {
  scope: null,
  backwardTimer: null,
};
