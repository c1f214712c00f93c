/**
 * `/c/:id`: one conversation, rendered on the server from the database (readable without
 * JavaScript). An unknown id, or another session's conversation, gets the 404 page.
 */
import { renderChatPage } from "../../components/chat/cached_page.ts";
import type { ChatAppProps } from "../../components/chat/types.ts";
import ChatApp from "../../islands/ChatApp.tsx";
import type { AppState } from "../../lib/services.ts";
import type { Handlers, PageProps } from "../../lib/web/types.ts";

export const handler: Handlers<AppState, ChatAppProps> = {
  GET(req, ctx) {
    return renderChatPage(req, ctx, ctx.params.id);
  },
};

export default function ConversationPage({ data }: PageProps<ChatAppProps, AppState>) {
  return <ChatApp {...data} />;
}
