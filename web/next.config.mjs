/**
 * The web page is a static export (`web/out`) served by the DeepPhoto server on its own port, so the page talks
 * to the same origin for the API, socket.io signaling and recordings. Client components only.
 */
/** @type {import('next').NextConfig} */
const nextConfig = {
  output: 'export',
  transpilePackages: ['@deepphoto/shared'],
  images: { unoptimized: true },
  reactStrictMode: true,
  poweredByHeader: false,
  // ESLint is not part of this project's toolchain; types are still checked by `next build`.
  eslint: { ignoreDuringBuilds: true },
  // The workspace root holds the lockfile; say so instead of letting Next guess.
  outputFileTracingRoot: new URL('..', import.meta.url).pathname,
};

export default nextConfig;
