// AWS event-stream framing (application/vnd.amazon.eventstream), as Bedrock's ConverseStream sends it: a message
// is a prelude (total length, headers length, the prelude's CRC32), headers (name, type 7 = string, value), the
// payload and the whole message's CRC32, all big-endian.
import { crc32 } from 'node:zlib';

function header(name: string, value: string): Buffer {
  const n = Buffer.from(name, 'utf8');
  const v = Buffer.from(value, 'utf8');
  const out = Buffer.alloc(1 + n.length + 1 + 2 + v.length);
  out.writeUInt8(n.length, 0);
  n.copy(out, 1);
  out.writeUInt8(7, 1 + n.length);
  out.writeUInt16BE(v.length, 2 + n.length);
  v.copy(out, 4 + n.length);
  return out;
}

/** One event message: `:event-type` names the union member and the payload is its JSON. */
export function eventMessage(eventType: string, payload: unknown, opts: { badCrc?: boolean } = {}): Buffer {
  const headers = Buffer.concat([
    header(':event-type', eventType),
    header(':content-type', 'application/json'),
    header(':message-type', 'event'),
  ]);
  const body = Buffer.from(JSON.stringify(payload), 'utf8');
  const total = 12 + headers.length + body.length + 4;
  const msg = Buffer.alloc(total);
  msg.writeUInt32BE(total, 0);
  msg.writeUInt32BE(headers.length, 4);
  msg.writeUInt32BE(crc32(msg.subarray(0, 8)), 8);
  headers.copy(msg, 12);
  body.copy(msg, 12 + headers.length);
  msg.writeUInt32BE((crc32(msg.subarray(0, total - 4)) + (opts.badCrc ? 1 : 0)) >>> 0, total - 4);
  return msg;
}
