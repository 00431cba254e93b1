// Large disposed buffers are kept and reused on the JS side (lib/buffer_pool.ts): no new
// ArrayBuffer (and no V8 collection) per large tensor. Reuse must never leak old values into
// zero-filled tensors, a disposed tensor must still read as disposed, and memory.stats /
// memory.trim must see the kept buffers as free memory.
import { F, empty, full, memory, tensor, zeros } from '../lib';

const big = 4 << 20; // floats: the smallest kept size

describe('large buffer reuse', () => {
  afterEach(() => memory.trim());

  test('a disposed large tensor reads as disposed; the next one of its size reuses the buffer', () => {
    const a = full([big], 3);
    const allocationsBefore = memory.stats().allocations;
    a.dispose();
    expect(a.disposed).toBe(true);
    expect(() => a.data).toThrow(/disposed/);
    expect(() => F.relu(a)).toThrow(/disposed/);
    const b = zeros([big]);
    expect(memory.stats().allocations).toBe(allocationsBefore); // no native allocation
    expect(b.data.length).toBe(big);
    expect(b.data.every((v) => v === 0)).toBe(true); // zero-filled despite the old 3s
    b.dispose();
  });

  test('a smaller tensor (down to half) gets a view of a kept buffer, with its own length', () => {
    full([big + 1000], 1).dispose();
    const allocationsBefore = memory.stats().allocations;
    const c = empty([big, 1]);
    expect(memory.stats().allocations).toBe(allocationsBefore);
    expect(c.data.length).toBe(big);
    c.data.fill(2);
    const d = F.add(c, c);
    expect(d.data[big - 1]).toBe(4);
    c.dispose();
    d.dispose();
    // Less than half of a kept buffer: a new allocation.
    const before = memory.stats().allocations;
    const e = zeros([big >> 2]);
    expect(memory.stats().allocations).toBe(before + 1);
    e.dispose();
  });

  test('kept buffers count as pooled, not live, and trim frees them', () => {
    const live0 = memory.stats().liveBytes;
    const t = zeros([big]);
    expect(memory.stats().liveBytes - live0).toBe(big * 4);
    t.dispose();
    expect(memory.stats().liveBytes).toBe(live0);
    expect(memory.stats().pooledBytes).toBeGreaterThanOrEqual(big * 4);
    memory.trim();
    expect(memory.stats().pooledBytes).toBe(0);
    expect(memory.stats().liveBytes).toBe(live0);
  });

  test('small tensors are not kept (the native pool reuses their memory)', () => {
    const s = tensor([1, 2, 3]);
    const data = s.data;
    s.dispose();
    expect(data.length).toBe(0); // detached at once
  });
});
