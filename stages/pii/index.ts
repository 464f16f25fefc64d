/**
 * PII anonymization (spec "FineWeb additions"; FineWeb's PIIFormatter): replace e-mail
 * addresses and public IP addresses (IPv4 and IPv6 outside private, loopback, link-local,
 * shared, documentation, multicast and reserved ranges) with fixed placeholders. Fixed, not
 * random, replacements keep the output deterministic. Never drops a document.
 */
import type { Doc } from '../../src/doc.js';
import type { StageModule, StepResult } from '../../src/stage.js';

export interface PiiConfig {
  anonymize_emails: boolean;
  anonymize_ips: boolean;
  email_replacement: string;
  ipv4_replacement: string;
  ipv6_replacement: string;
}

export const defaults: PiiConfig = {
  anonymize_emails: true,
  anonymize_ips: true,
  email_replacement: 'email@example.com',
  ipv4_replacement: '0.0.0.0',
  ipv6_replacement: '::',
};

// local@domain.tld, with the characters RFC 5322 allows unquoted in the local part.
const EMAIL = /(?<![\w.+-])[\w!#$%&'*+/=?^`{|}~-]+(?:\.[\w!#$%&'*+/=?^`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63}(?![\w-])/gi;
const IPV4 = /(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\d]|\.\d)/g;
// Cheap tests before the full expressions run over a document.
const MAYBE_IPV4 = /\d\.\d{1,3}\.\d/;
const MAYBE_IPV6 = /::|[0-9a-f]:[0-9a-f]{1,4}:[0-9a-f]/i;
// Candidates: hex groups joined by colons (full and `::`-compressed forms); parseIpv6 decides.
const IPV6 = /(?<![\w:.])[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}(?![\w:.])/gi;

/** Is a dotted IPv4 address globally routable (not private, loopback, reserved...)? */
export function isPublicIpv4(ip: string): boolean {
  const p = ip.split('.').map(Number);
  const [a, b, c] = p as [number, number, number, number];
  if (a === 0 || a === 10 || a === 127 || a >= 224) return false; // this-net, private, loopback, multicast+reserved
  if (a === 100 && b >= 64 && b <= 127) return false; // shared (CGNAT) 100.64/10
  if (a === 169 && b === 254) return false; // link-local
  if (a === 172 && b >= 16 && b <= 31) return false; // private
  if (a === 192 && b === 168) return false; // private
  if (a === 192 && b === 0 && (c === 0 || c === 2)) return false; // IETF, TEST-NET-1
  if (a === 198 && (b === 18 || b === 19)) return false; // benchmarking
  if (a === 198 && b === 51 && c === 100) return false; // TEST-NET-2
  if (a === 203 && b === 0 && c === 113) return false; // TEST-NET-3
  return true;
}

/** The 8 groups of an IPv6 address, or undefined if it is not one. */
export function parseIpv6(s: string): number[] | undefined {
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const parse = (h: string) => (h === '' ? [] : h.split(':').map((g) => (/^[0-9a-f]{1,4}$/i.test(g) ? parseInt(g, 16) : NaN)));
  const head = parse(halves[0]!);
  const tail = halves.length === 2 ? parse(halves[1]!) : [];
  if ([...head, ...tail].some(Number.isNaN)) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  if (head.length + tail.length > 7) return undefined;
  return [...head, ...new Array(8 - head.length - tail.length).fill(0), ...tail];
}

/** Global unicast (2000::/3) minus the documentation prefix 2001:db8::/32. */
export function isPublicIpv6(groups: number[]): boolean {
  const g0 = groups[0]!;
  if ((g0 & 0xe000) !== 0x2000) return false;
  if (g0 === 0x2001 && groups[1] === 0x0db8) return false;
  return true;
}

export function anonymize(text: string, c: PiiConfig): { text: string; emails: number; ips: number } {
  let emails = 0;
  let ips = 0;
  if (c.anonymize_emails && text.includes('@')) {
    text = text.replace(EMAIL, () => {
      emails++;
      return c.email_replacement;
    });
  }
  if (c.anonymize_ips && MAYBE_IPV4.test(text)) {
    text = text.replace(IPV4, (ip) => {
      if (!isPublicIpv4(ip)) return ip;
      ips++;
      return c.ipv4_replacement;
    });
  }
  if (c.anonymize_ips && MAYBE_IPV6.test(text)) {
    text = text.replace(IPV6, (ip) => {
      const g = parseIpv6(ip);
      if (!g || !isPublicIpv6(g)) return ip;
      ips++;
      return c.ipv6_replacement;
    });
  }
  return { text, emails, ips };
}

export const pii: StageModule<PiiConfig> = {
  name: 'pii',
  description: 'Anonymize e-mail addresses and public IP addresses (FineWeb)',
  defaults,
  create(config, ctx) {
    return {
      name: 'pii',
      apply(doc: Doc): StepResult {
        const r = anonymize(doc.text, config);
        if (r.emails) ctx.count('emails_anonymized', r.emails);
        if (r.ips) ctx.count('ips_anonymized', r.ips);
        doc.text = r.text;
        return doc;
      },
    };
  },
};
