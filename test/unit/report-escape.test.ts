import { describe, expect, it } from 'vitest';
import { displayText, escapeHtml, jsonForScript } from '../../src/app/report/escape.js';

describe('escapeHtml', () => {
  it('escapes the five characters that can end text or an attribute', () => {
    expect(escapeHtml(`<script>alert("x" + 'y')</script> & more`)).toBe(
      '&lt;script&gt;alert(&quot;x&quot; + &#39;y&#39;)&lt;/script&gt; &amp; more',
    );
  });

  it('escapes an existing entity again, so it shows as written', () => {
    expect(escapeHtml('&lt;b&gt;')).toBe('&amp;lt;b&amp;gt;');
  });

  it('leaves other text, including non-ASCII, as it is', () => {
    expect(escapeHtml('Café — 100 °C, 数字')).toBe('Café — 100 °C, 数字');
  });
});

describe('jsonForScript', () => {
  const nasty = {
    output: '</script><script>alert(1)</script>',
    comment: '<!-- <script>',
    amp: 'a & b > c',
    separators: 'line\u2028paragraph\u2029end',
  };

  it('leaves no "<", ">" or "&" that the HTML parser could read as the end of the script', () => {
    const text = jsonForScript(nasty);
    expect(text).not.toMatch(/[<>&]/);
    expect(text).not.toContain('\u2028');
    expect(text).not.toContain('\u2029');
    expect(text).toContain('\\u003c/script\\u003e');
  });

  it('reads back with JSON.parse as the same value', () => {
    expect(JSON.parse(jsonForScript(nasty))).toEqual(nasty);
  });

  it('writes null for undefined', () => {
    expect(jsonForScript(undefined)).toBe('null');
  });
});

describe('displayText', () => {
  it('shows a string as it is and anything else as indented JSON', () => {
    expect(displayText('Paris')).toBe('Paris');
    expect(displayText({ question: 'Q?' })).toBe('{\n  "question": "Q?"\n}');
    expect(displayText(3)).toBe('3');
    expect(displayText(null)).toBe('null');
    expect(displayText(undefined)).toBe('');
  });
});
