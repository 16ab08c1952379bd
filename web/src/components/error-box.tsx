/** An API error as the CLI prints it: `error[E_CODE]: path: message`, with every detail. */
import type { ApiError, ErrorBody } from '../api.ts';

function Line({ e }: { e: ErrorBody }) {
  return (
    <>
      <code>error[{e.code}]</code>: {e.path ? <>{e.path}: </> : null}
      {e.message}
    </>
  );
}

export function ErrorBox({ error, title }: { error: ApiError; title?: string }) {
  const details = (error.body.details ?? []).filter((d) => d.message !== error.body.message || d.path !== error.body.path);
  return (
    <div class="error" role="alert">
      {title ? <strong>{title}: </strong> : null}
      <Line e={error.body} />
      {details.length ? (
        <ul>
          {details.map((d, i) => (
            <li key={i}>
              <Line e={d} />
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
