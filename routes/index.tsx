/** `/`: a new chat, with the session's conversations in the sidebar (`?q=` filters them). */
import { renderChatPage } from "../components/chat/cached_page.ts";
import type { ChatAppProps } from "../components/chat/types.ts";
import ChatApp from "../islands/ChatApp.tsx";
import type { AppState } from "../lib/services.ts";
import type { Handlers, PageProps } from "../lib/web/types.ts";

export const handler: Handlers<AppState, ChatAppProps> = {
  GET(req, ctx) {
    return renderChatPage(req, ctx, null);
  },
};

export default function Home({ data }: PageProps<ChatAppProps, AppState>) {
  return <ChatApp {...data} />;
}
