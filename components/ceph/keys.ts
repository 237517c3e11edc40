/**
 * Ceph's secrets made from random bytes, pure: a cephx key and the cluster's fsid. The random bytes come
 * from `random.RandomBytes` resources, so they are generated once and kept (secret) in the state, and every
 * host is handed the same values; nothing here generates randomness itself.
 */

/** Bytes of a cephx (AES-128) secret. */
export const CEPHX_SECRET_BYTES = 16;

/**
 * A cephx key as keyrings write it (`AQ...==`): base64 of Ceph's CryptoKey encoding, little-endian
 * `u16 type (1 = AES)`, `u32 created.sec`, `u32 created.nsec`, `u16 length`, then the secret. The creation
 * time is left 0: Ceph does not check it, and a fixed value keeps the key the same on every evaluation.
 */
export function cephxKey(secretBase64: string): string {
  const secret = Buffer.from(secretBase64, "base64");
  if (secret.length !== CEPHX_SECRET_BYTES) throw new Error(`a cephx secret has ${CEPHX_SECRET_BYTES} bytes, got ${secret.length}`);
  const header = Buffer.alloc(12);
  header.writeUInt16LE(1, 0);
  header.writeUInt32LE(0, 2);
  header.writeUInt32LE(0, 6);
  header.writeUInt16LE(CEPHX_SECRET_BYTES, 10);
  return Buffer.concat([header, secret]).toString("base64");
}

/** A random (version 4) UUID from 16 random bytes, hex: the cluster's fsid. */
export function uuidFromHex(hex: string): string {
  if (!/^[0-9a-f]{32}$/.test(hex)) throw new Error(`a UUID needs 16 bytes of hex, got '${hex.slice(0, 40)}'`);
  const bytes = Buffer.from(hex, "hex");
  bytes[6] = (bytes[6] & 0x0f) | 0x40; // version 4
  bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
  const h = bytes.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
