import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newDoc, type Doc } from '../../src/doc.js';
import { anonymize, defaults, isPublicIpv4, parseIpv6, pii } from '../../stages/pii/index.js';
import { recordingContext } from './helpers.js';

test('pii: e-mail addresses are replaced by a fixed placeholder', () => {
  const r = anonymize('Write to john.doe+news@mail.example.co.uk or ADMIN@Site.org today.', defaults);
  assert.equal(r.text, 'Write to email@example.com or email@example.com today.');
  assert.equal(r.emails, 2);
  assert.equal(anonymize('user@localhost and @handle', defaults).emails, 0);
});

test('pii: public IPv4 addresses are replaced, private/loopback/documentation ones kept', () => {
  const r = anonymize('Server 8.8.8.8, LAN 192.168.1.1, local 127.0.0.1, doc 192.0.2.7, cgnat 100.64.0.1, pub 172.32.0.1.', defaults);
  assert.equal(r.text, 'Server 0.0.0.0, LAN 192.168.1.1, local 127.0.0.1, doc 192.0.2.7, cgnat 100.64.0.1, pub 0.0.0.0.');
  assert.equal(r.ips, 2);
  assert.equal(anonymize('version 1.2.3.4.5 and 999.1.1.1', defaults).ips, 0);
  assert.equal(isPublicIpv4('10.0.0.1'), false);
  assert.equal(isPublicIpv4('172.16.5.4'), false);
  assert.equal(isPublicIpv4('224.0.0.1'), false);
});

test('pii: public IPv6 addresses are replaced, loopback/link-local/documentation kept', () => {
  const r = anonymize('v6 2a00:1450:4007:80e::200e and ::1 and fe80::1 and 2001:db8::1 at 10:30:15', defaults);
  assert.equal(r.text, 'v6 :: and ::1 and fe80::1 and 2001:db8::1 at 10:30:15');
  assert.deepEqual(parseIpv6('2001:db8::1'), [0x2001, 0xdb8, 0, 0, 0, 0, 0, 1]);
  assert.equal(parseIpv6('1:2:3'), undefined);
});

test('pii: the stage rewrites the text and counts replacements; never drops; options turn rules off', async () => {
  const ctx = recordingContext();
  const stage = await pii.create(defaults, ctx);
  const r = (await stage.apply(newDoc({ id: '1', text: 'mail a@b.com from 1.1.1.1' }))) as Doc;
  assert.equal(r.text, 'mail email@example.com from 0.0.0.0');
  assert.deepEqual(ctx.counted, { emails_anonymized: 1, ips_anonymized: 1 });
  assert.equal(anonymize('a@b.com 1.1.1.1', { ...defaults, anonymize_emails: false, anonymize_ips: false }).text, 'a@b.com 1.1.1.1');
  assert.equal(anonymize('', defaults).text, '');
});

test('pii: edge cases: CJK text around an address, a 10 MB document with 1000 addresses', () => {
  assert.equal(anonymize('请联系 wang@example.cn 谢谢', defaults).text, '请联系 email@example.com 谢谢');
  const parts: string[] = [];
  for (let i = 0; i < 1000; i++) parts.push(`${'lorem text '.repeat(920)}user${i}@mail${i}.example.org 8.8.${i % 256}.4 `);
  const big = parts.join('\n');
  assert.ok(big.length > 10_000_000);
  const r = anonymize(big, defaults);
  assert.equal(r.emails, 1000);
  assert.equal(r.ips, 1000);
  assert.equal(r.text.includes('@mail'), false);
});
