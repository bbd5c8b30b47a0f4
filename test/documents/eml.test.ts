// Email messages: sender headers, Received relays, bodies, attachments hashed and read.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { extractFromDocument, readDocument } from '../../src/documents/index.ts';
import { assertOffsetsHold, briefs, fixture, readOk } from './helpers.ts';

describe('eml: the reported phishing message', () => {
  test('sender identity, relays and bodies, each from where it was found', async () => {
    const doc = await readOk(fixture('phishing-report.eml'));
    assert.equal(doc.format, 'eml');
    assert.deepEqual(
      briefs(doc, ['email', 'ipv4', 'ipv6', 'url']).filter((b) => !b.includes(' in ')),
      [
        'header:from | indicator email security@example-bank.top', // the display name was an encoded word
        'header:reply-to | indicator email support-desk@reply-handler.example.info',
        'header:return-path | indicator email bounce-7781@mailer.example-bank.top',
        'header:x-originating-ip | indicator ipv4 192.0.2.44',
        'received | indicator ipv4 198.51.100.25',
        'received | indicator ipv4 203.0.113.77',
        'received | indicator ipv6 2001:db8:85a3::8a2e:370:7334', // [IPv6:…]
        'text | indicator url https://secure-login.example-bank.top/verify?u=client', // a quoted-printable soft break inside it
        'text | indicator url http://backup-login.example-bank.top/r',
        'html-href | indicator url https://secure-login.example-bank.top/verify?u=client&s=mail', // "Click here…" in the base64 HTML body
        'html-href | reference url https://www.example-bank.com/security/notice',
        'html-src | indicator url https://track.mail-metrics.example.net/open.gif?id=7781',
      ],
    );
    assert.ok(!briefs(doc).some((b) => b.startsWith('received') && b.includes(' domain ')), 'relay names are not reported');
    assert.ok(!briefs(doc).some((b) => b.includes('victim@')), 'recipients are not read');
    assert.deepEqual(doc.metadata, {
      subject: 'Votre compte est suspendu - action requise',
      date: '2024-03-05T09:11:50.000Z',
      messageId: '<a1b2c3@mailer.example-bank.top>',
      author: '"Example Bank Sécurité" <security@example-bank.top>',
    });
    assertOffsetsHold(doc);
  });

  test('every attachment is hashed (name, size, type); documents among them are read, marked with where they came from', async () => {
    const doc = await readOk(fixture('phishing-report.eml'));
    assert.deepEqual(
      doc.attachments.map((a) => [a.name, a.contentType, a.size, a.md5, a.format ?? null]),
      [
        ['invoice-0311.pdf', 'application/pdf', 1258, '5eb5d2a76aa9fb07f1ac6ec531c24c97', 'pdf'],
        ['statement.zip', 'application/zip', 68, '6b166c6ca51f3d9f5e34a7702af391a0', null],
        ['original.eml', 'message/rfc822', 523, '859d5495704e69a587b41f0839ac3e10', 'eml'],
      ],
    );
    const found = extractFromDocument(doc);
    const digests = found.filter((x) => x.source === 'attachment');
    assert.deepEqual(
      digests.filter((x) => x.attachment === 'statement.zip').map((x) => `${x.type} ${x.value}`),
      ['md5 6b166c6ca51f3d9f5e34a7702af391a0', 'sha1 0494f3e0b89d0a045c2a78c02b71ef1fee074e1c', 'sha256 7872272c676d261080578995b2c7a2fa90855d860f85361abf89a6aa0bc7f3ef'],
    );
    assert.equal(digests.length, 9);
    assert.ok(digests.every((x) => x.part === undefined && x.start === undefined && x.role === 'indicator'));
    assert.deepEqual(
      briefs(doc, ['email', 'ipv4', 'url']).filter((b) => b.includes(' in ')),
      [
        'pdf-link page 1 in invoice-0311.pdf | indicator url https://pay-portal.invoice-example.click/inv/0311', // the PDF's "View and pay" button
        'header:from in original.eml | indicator email payroll@hr-portal.example.ws', // the forwarded original's own sender
        'received in original.eml | indicator ipv4 203.0.113.200',
        'text in original.eml | indicator url https://hr-portal.example.ws/salary/2024.xlsx',
      ],
    );
  });

  test('--types reaches the digests too', async () => {
    const doc = await readOk(fixture('phishing-report.eml'));
    const sha256 = extractFromDocument(doc, { types: ['sha256'] });
    assert.equal(sha256.length, 3);
    assert.ok(sha256.every((x) => x.source === 'attachment'));
  });

  test('a message that is only headers, or only a body, reads without failing', async () => {
    const headersOnly = await readOk(Buffer.from('From: a@evil.example.com\r\nSubject: x\r\n\r\n'), { format: 'eml' });
    assert.deepEqual(briefs(headersOnly, ['email']), ['header:from | indicator email a@evil.example.com']);
    const r = await readDocument(Buffer.from('no headers at all, evil.example.com'), { format: 'eml' });
    assert.ok(r.ok);
  });
});
