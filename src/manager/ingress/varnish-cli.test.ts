import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { authResponse, heredocCommand, parseResponse } from './varnish-cli.ts';

describe('varnish CLI protocol', () => {
  it('answers the challenge as sha256(challenge \\n secret challenge \\n)', () => {
    const secret = Buffer.from('s3cret\n');
    const expected = createHash('sha256').update('abc\ns3cret\nabc\n').digest('hex');
    expect(authResponse('abc', secret)).toBe(expected);
  });

  it('parses responses, waiting for the whole body', () => {
    const full = Buffer.from('200 5       \nhello\n106 3\nbad\n');
    const first = parseResponse(full)!;
    expect(first.response).toEqual({ status: 200, body: 'hello' });
    expect(parseResponse(first.rest)!.response).toEqual({ status: 106, body: 'bad' });
    expect(parseResponse(Buffer.from('200 5\nhel'))).toBeNull();
    expect(parseResponse(Buffer.from('200 5'))).toBeNull();
    expect(() => parseResponse(Buffer.from('garbage\n'))).toThrow(/unexpected varnish CLI header/);
  });

  it('sends documents as here-documents with a marker the document does not contain', () => {
    expect(heredocCommand(['vcl.inline', 'mx1'], 'vcl 4.1;\n')).toBe('vcl.inline mx1 << MXEOF\nvcl 4.1;\nMXEOF\n');
    expect(heredocCommand(['x'], 'a MXEOF b')).toBe('x << MXEOFX\na MXEOF b\nMXEOFX\n');
  });
});
