/**
 * mulberry32 (Tommy Ettinger's 32-bit PRNG): a tiny, fast, seeded generator of floats in [0, 1).
 * Used where a result must be reproducible from a seed (report sample reservoirs, generated
 * test data); not for anything that needs statistical strength or secrecy.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * FNV-1a (32-bit) of a string: a seed derived from a key, so a seeded draw depends on what it
 * is for (a reservoir's key, an input's name), not on the order or timing of the calls.
 */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
