/** A werift peer acting as a browser in node tests: makes real VP8 offers (no camera needed). */
import { RTCPeerConnection, RTCRtpCodecParameters } from 'werift';

export async function vp8Offer(): Promise<{ sdp: string; pc: RTCPeerConnection }> {
  const pc = new RTCPeerConnection({
    codecs: { audio: [], video: [new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90_000 })] },
    iceServers: [],
    iceAdditionalHostAddresses: ['127.0.0.1'],
  });
  pc.addTransceiver('video', { direction: 'sendrecv' });
  const offer = await pc.createOffer();
  await pc.setLocalDescription(offer);
  return { sdp: pc.localDescription!.sdp, pc };
}
