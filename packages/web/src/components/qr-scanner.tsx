/**
 * Scans a QR code with the camera, where the browser has the BarcodeDetector API (Chromium on
 * Android and macOS, for instance); elsewhere nothing is shown — pasting the link always works.
 * The camera runs only while the scanner is open and stops as soon as a code is read.
 */
import { useEffect, useRef, useState } from 'preact/hooks';

interface Detected {
  readonly rawValue: string;
}
interface BarcodeDetectorLike {
  detect(source: HTMLVideoElement): Promise<Detected[]>;
}
type BarcodeDetectorCtor = new (o: { formats: string[] }) => BarcodeDetectorLike;

function detectorCtor(): BarcodeDetectorCtor | null {
  const g = globalThis as { BarcodeDetector?: BarcodeDetectorCtor };
  return g.BarcodeDetector !== undefined && navigator.mediaDevices?.getUserMedia !== undefined
    ? g.BarcodeDetector
    : null;
}

export function canScan(): boolean {
  return detectorCtor() !== null;
}

export function QrScanner({ label, onCode }: { label: string; onCode: (text: string) => void }) {
  const [open, setOpen] = useState(false);
  if (!canScan()) return null;
  return open ? (
    <Camera
      onCode={(t) => {
        setOpen(false);
        onCode(t);
      }}
      onClose={() => setOpen(false)}
    />
  ) : (
    <button type="button" onClick={() => setOpen(true)}>
      {label}
    </button>
  );
}

function Camera({ onCode, onClose }: { onCode: (text: string) => void; onClose: () => void }) {
  const video = useRef<HTMLVideoElement>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const Ctor = detectorCtor();
    if (Ctor === null) return;
    let stream: MediaStream | null = null;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const detector = new Ctor({ formats: ['qr_code'] });
    const tick = async () => {
      const v = video.current;
      if (stopped || v === null) return;
      try {
        const [code] = v.readyState >= 2 ? await detector.detect(v) : [];
        if (code !== undefined && !stopped) {
          onCode(code.rawValue);
          return;
        }
      } catch {
        // A frame that could not be read: try the next one.
      }
      timer = setTimeout(tick, 250);
    };
    navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } }).then(
      (s) => {
        stream = s;
        if (stopped || video.current === null) return;
        video.current.srcObject = s;
        void video.current.play().catch(() => undefined);
        void tick();
      },
      () => setError('The camera is not available (or not allowed): paste the link instead.'),
    );
    return () => {
      stopped = true;
      clearTimeout(timer);
      for (const t of stream?.getTracks() ?? []) t.stop();
    };
  }, [onCode]);
  return (
    <div class="scanner">
      {error === null ? <video ref={video} muted playsInline aria-label="Camera" /> : <p role="alert">{error}</p>}
      <button type="button" onClick={onClose}>
        Stop scanning
      </button>
    </div>
  );
}
