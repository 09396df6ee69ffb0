/** The 60-digit safety number in 12 groups of 5 (protocol §9), laid out to read aloud, with its QR code. */
import { QrCode } from './qr-code.tsx';

export function SafetyNumber({ display, qrPayload, name }: { display: string; qrPayload: string; name: string }) {
  const groups = display.split(/\s+/).filter((g) => g !== '');
  return (
    <div class="safety">
      <ol class="safety-number" aria-label={`Safety number with ${name}`}>
        {groups.map((g, i) => (
          <li key={i}>{g}</li>
        ))}
      </ol>
      <QrCode text={qrPayload} label={`QR code of the safety number with ${name}`} />
    </div>
  );
}
