// Test helpers: safetensors bytes assembled by hand, independent of the writer under test.

/** 8-byte little-endian length + header text (padded with spaces to 8 unless told) + data. */
export function buildFile(
  header: object | string,
  data: Uint8Array = new Uint8Array(0),
  options: { pad?: boolean; length?: bigint } = {},
): Buffer {
  let text = typeof header === 'string' ? header : JSON.stringify(header);
  if (options.pad ?? true) text += ' '.repeat((8 - (Buffer.byteLength(text) % 8)) % 8);
  const json = Buffer.from(text, 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(options.length ?? BigInt(json.byteLength));
  return Buffer.concat([prefix, json, data]);
}

/** Little-endian bytes of numbers written by `write` into a DataView of `count * size` bytes. */
export function bytesOf(
  count: number,
  size: number,
  write: (view: DataView, i: number) => void,
): Uint8Array {
  const bytes = new Uint8Array(count * size);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < count; i++) write(view, i);
  return bytes;
}

export function f32Bytes(values: number[]): Uint8Array {
  return bytesOf(values.length, 4, (v, i) => v.setFloat32(i * 4, values[i], true));
}
