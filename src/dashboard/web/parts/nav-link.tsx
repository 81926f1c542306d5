/** A real link (href, so it opens in a new tab or copies) that navigates in place on a plain click. */
import { Link } from '@fluentui/react-components';
import type { MouseEvent, ReactNode } from 'react';
import { BASE, navigate } from '../router';

export function NavLink(props: { to: string; children: ReactNode }) {
  const onClick = (e: MouseEvent) => {
    if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
    e.preventDefault();
    navigate(props.to);
  };
  return <Link href={`${BASE}${props.to}`} onClick={onClick}>{props.children}</Link>;
}
