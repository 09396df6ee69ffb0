/** RFC 9420 §8.2 transcript hashes and the confirmation tag, mls-implementations transcript-hashes.json. */
import { decodeAuthenticatedContent } from 'ts-mls/authenticatedContent.js';
import { createConfirmedHash, createInterimHash } from 'ts-mls/transcriptHash.js';
import { describe, expect, it } from 'vitest';
import { bytes, hex, providers, vectors } from '../providers.ts';

interface TranscriptHashes {
  cipher_suite: number;
  confirmation_key: string;
  authenticated_content: string;
  interim_transcript_hash_before: string;
  confirmed_transcript_hash_after: string;
  interim_transcript_hash_after: string;
}

describe.each(providers)('transcript-hashes vectors on %s', (_, cs) => {
  it.each(vectors<TranscriptHashes>('transcript-hashes').map((v) => [v.cipher_suite, v] as const))(
    'suite %i',
    async (_s, v) => {
      const decoded = decodeAuthenticatedContent(bytes(v.authenticated_content), 0)?.[0];
      if (decoded?.content.contentType !== 'commit' || decoded.auth.contentType !== 'commit') {
        throw new Error('expected a commit');
      }
      const tag = decoded.auth.confirmationTag;
      expect(await cs.hash.verifyMac(bytes(v.confirmation_key), tag, bytes(v.confirmed_transcript_hash_after))).toBe(
        true,
      );
      const input = { wireformat: decoded.wireformat, content: decoded.content, signature: decoded.auth.signature };
      const confirmed = await createConfirmedHash(bytes(v.interim_transcript_hash_before), input, cs.hash);
      expect(hex(confirmed)).toBe(v.confirmed_transcript_hash_after);
      expect(hex(await createInterimHash(confirmed, tag, cs.hash))).toBe(v.interim_transcript_hash_after);
    },
  );
});
