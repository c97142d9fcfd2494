'use client';
import type { ReactNode } from 'react';
import type { UiError } from '../lib/messages.ts';

/** An error that says what to do, with its action buttons. `role="alert"` so screen readers hear it at once. */
export function ErrorBanner({ error, children, compact = false }: { error: UiError; children?: ReactNode; compact?: boolean }) {
  return (
    <div className={compact ? 'banner banner-compact' : 'banner'} role="alert" data-error={error.kind}>
      <div className="banner-text">
        <strong>{error.title}</strong>
        <span>{error.detail}</span>
      </div>
      {children ? <div className="banner-actions">{children}</div> : null}
    </div>
  );
}
