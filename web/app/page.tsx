import { App } from '../components/App.tsx';

export default function Page() {
  return <App />;
}
