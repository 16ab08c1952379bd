/** The bundle's entry (scripts/bundle-web.mjs): styles, then the app into #root. */
import 'uplot/dist/uPlot.min.css';
import './styles/base.css';
import './styles/forms.css';
import './styles/layout.css';
import './styles/grid.css';
import './styles/panels.css';
import { render } from 'preact';
import { App } from './app.tsx';

render(<App />, document.getElementById('root')!);
